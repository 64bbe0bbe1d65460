#pragma once

#include "common.h"

namespace metallb {

Napi::Value InterfaceInfo(const Napi::CallbackInfo& info);

}  // namespace metallb
