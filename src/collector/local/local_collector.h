// LocalCollector: runs dispatches in this process — looks the board up in the source
// registry, lets its source fetch and parse through the Transport, then normalizes the
// items. Each dispatch has a deadline (the board's schedule timeout) that bounds every
// request the source makes. Safe for concurrent use.
#pragma once

#include <map>
#include <string>

#include "collector/collector.h"
#include "core/clock.h"
#include "fetch/transport.h"
#include "sources/source.h"

namespace mu {

class LocalCollector final : public Collector {
 public:
  struct Options {
    std::string name = "local";
    std::map<std::string, std::string> secrets;  // passed to sources; never logged
  };

  LocalCollector(const SourceRegistry& registry, Transport& transport, const Clock& clock,
                 Options options);

  Result<CollectOutcome> collect(const Dispatch& dispatch) override;

 private:
  const SourceRegistry& registry_;
  Transport& transport_;
  const Clock& clock_;
  Options options_;
};

}  // namespace mu
