// One FHIRPath engine shared by the tests of a test binary (building the model from the
// definitions package takes seconds under ASan). Null when the package is absent.
// Thread-safety: initialised once (function-local static); the Engine is thread-safe.
#pragma once

#include <memory>

#include "hestia/fhirpath/engine.h"
#include "hestia/resources/type_registry.h"

namespace hestia::fhirpath {

inline std::shared_ptr<const Engine> SharedTestEngine() {
  static const std::shared_ptr<const Engine> engine = []() -> std::shared_ptr<const Engine> {
    auto registry = resources::TypeRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
    if (!registry.ok()) return nullptr;
    auto created = Engine::Create(registry.value());
    return created.ok() ? created.value() : nullptr;
  }();
  return engine;
}

}  // namespace hestia::fhirpath
