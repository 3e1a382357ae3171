// The shared server of the REST integration tests: one `hestia serve` with an embedded
// PostgreSQL for the whole test program (start-up costs seconds), plus helpers to talk to it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "hestia/base/json.h"
#include "http_client.h"
#include "server_process.h"

namespace hestia::testing {

// gtest Environment owning the server; tests reach it through Server().
ServerProcess& Server();

// A client connected to the shared server.
HttpClient Client();

using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline const HeaderList kJson = {{"Content-Type", "application/fhir+json"}};

// Sends and fails the test (with the server log tail) on transport errors.
HttpResponse Send(HttpClient& client, std::string_view method, std::string_view target,
                  const HeaderList& headers = {}, std::string_view body = {});

// Parses a response body; fails the test when it is not JSON.
json::Document ParseBody(const HttpResponse& r);

// The OperationOutcome issue.code of an error response ("" when the body is not one).
std::string IssueCode(const HttpResponse& r);

// A unique suffix for ids and identifiers so tests do not see each other's data.
std::string Unique(const std::string& prefix);

}  // namespace hestia::testing
