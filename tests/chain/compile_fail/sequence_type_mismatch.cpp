// `a | b` where a's output (std::vector<int>) does not convert to b's input (std::string) must not
// compile; the control pipes into a stage taking std::vector<int>.
// expect: output type of a .* must convert to the input type of b
#include <string>
#include <vector>

#include "llmkit/chain/lambda.h"
#include "llmkit/chain/sequence.h"

using namespace llmkit::chain;

int main() {
  auto numbers = make_lambda<std::string, std::vector<int>>(
      [](const std::string& s) { return std::vector<int>(s.size(), 1); }, "numbers");
#ifdef LLMKIT_COMPILE_OK
  auto next = make_lambda<std::vector<int>, std::string>(
      [](const std::vector<int>& v) { return std::to_string(v.size()); }, "count");
#else
  auto next = make_lambda<std::string, std::string>([](const std::string& s) { return s; }, "id");
#endif
  auto chain = numbers | next;
  (void)chain;
  return 0;
}
