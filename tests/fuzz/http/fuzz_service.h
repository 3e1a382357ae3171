// A minimal Service for the HTTP fuzzers: echoes the request size, throws on one path.
// Thread-safety: stateless.
#pragma once

#include <stdexcept>
#include <string>

#include "hestia/interactions/service.h"

namespace hestia::fuzz {

class FuzzService : public interactions::Service {
 public:
  interactions::Response Handle(const interactions::Request& req) override {
    if (!req.path.empty() && req.path[0] == "throw") throw std::runtime_error("fuzz");
    interactions::Response r;
    r.interaction = "fuzz";
    r.status = req.path.size() == 2 && req.path[0] == "status" && req.path[1].size() == 3
                   ? std::atoi(req.path[1].c_str())
                   : 200;
    r.body = "{\"n\":" + std::to_string(req.body.size() + req.query.size()) + "}";
    r.headers.Add("ETag", "W/\"1\"");
    return r;
  }
  Status CheckReady() override { return Status::Ok(); }
  void AppendMetrics(std::string*) override {}
};

}  // namespace hestia::fuzz
