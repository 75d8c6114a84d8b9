// A branch case whose runnable yields another output type than the branch must not compile.
// expect: every case.s runnable must be a Runnable<In, Out>
#include <string>

#include "llmkit/chain/branch.h"
#include "llmkit/chain/lambda.h"

using namespace llmkit::chain;

int main() {
  auto fallback = make_lambda<std::string, std::string>([](const std::string& s) { return s; });
#ifdef LLMKIT_COMPILE_OK
  auto special =
      make_lambda<std::string, std::string>([](const std::string& s) { return s + "!"; });
#else
  auto special = make_lambda<std::string, int>([](const std::string& s) { return 1; });
#endif
  auto branch = make_branch<std::string, std::string>(
      {{[](const std::string& s) { return s.empty(); }, special}}, fallback);
  (void)branch;
  return 0;
}
