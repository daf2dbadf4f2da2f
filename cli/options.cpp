// Command-line parsing for `sift`: tcpdump-style bundled short options with
// GNU-style permutation, a few long options, and the checks that need the
// whole command line (which options go together).
#include "cli/options.h"

#include <charconv>
#include <cstdlib>

namespace sift::cli {
namespace {

Diagnostic usage(std::string message) { return Diagnostic::error(std::move(message)); }

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

template <class T>
std::optional<T> parseNumber(std::string_view text) {
  T value{};
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

/// Options that take a value, by their short letter.
bool takesValue(char letter) {
  switch (letter) {
    case 'r': case 'w': case 'c': case 's': case 'y': case 'F': case 'i': return true;
    default: return false;
  }
}

class Parser {
 public:
  explicit Parser(std::span<const std::string_view> args) : args_(args) {}

  Expected<Options> run() {
    index_ = 0;
    // `sift bench ...`: a subcommand only as the first word, so an
    // expression word "bench" elsewhere keeps its meaning.
    if (!args_.empty() && args_[0] == "bench") {
      bench_ = true;
      opts_.engine = Engine::All;
      index_ = 1;
    }
    for (; index_ < args_.size(); ++index_) {
      std::string_view arg = args_[index_];
      if (arg == "--") {
        for (++index_; index_ < args_.size(); ++index_) opts_.expressionWords.emplace_back(args_[index_]);
        break;
      }
      Status status = okStatus();
      if (arg.starts_with("--"))
        status = longOption(arg.substr(2));
      else if (arg.size() > 1 && arg[0] == '-')
        status = shortOptions(arg.substr(1));
      else
        opts_.expressionWords.emplace_back(arg);
      if (!status) return status.takeError();
    }
    if (Status status = checkCombination(); !status) return status.takeError();
    return std::move(opts_);
  }

 private:
  /// The value of an option: the rest of this argument or the next one.
  Expected<std::string_view> value(std::string_view rest, std::string_view name) {
    if (!rest.empty()) return rest;
    if (index_ + 1 >= args_.size()) return usage("option " + quoted(name) + " needs an argument");
    return args_[++index_];
  }

  Status shortOptions(std::string_view letters) {
    for (size_t i = 0; i < letters.size(); ++i) {
      char letter = letters[i];
      std::string name = std::string("-") + letter;
      if (takesValue(letter)) {
        auto v = value(letters.substr(i + 1), name);
        if (!v) return v.takeError();
        return withValue(letter, *v);
      }
      switch (letter) {
        case 'd': ++opts_.dumpLevel; break;
        case 'O': {
          if (i + 1 < letters.size() && letters[i + 1] >= '0' && letters[i + 1] <= '9') {
            char level = letters[++i];
            if (level > '2')
              return usage("unknown optimization level " + quoted(std::string("-O") + level) +
                           " (use -O, -O0, -O1 or -O2)");
            opts_.optimizeLevel = level - '0';
          } else {
            opts_.optimizeLevel = 0;  // tcpdump: -O turns the optimizer off
          }
          break;
        }
        case 't': ++timestampFlags_; break;
        case 'p': opts_.promiscuous = false; break;
        case 'D': listInterfaces_ = true; break;
        case 'n': case 'q': break;  // sift prints numbers and the short form anyway
        case 'h': help_ = true; break;
        default: return usage("unknown option " + quoted(name));
      }
    }
    return okStatus();
  }

  Status longOption(std::string_view text) {
    std::string_view name = text, inlineValue;
    bool hasInlineValue = false;
    if (size_t eq = text.find('='); eq != std::string_view::npos) {
      name = text.substr(0, eq);
      inlineValue = text.substr(eq + 1);
      hasInlineValue = true;
    }
    std::string display = "--" + std::string(name);
    auto needValue = [&]() -> Expected<std::string_view> {
      if (hasInlineValue) return inlineValue;
      if (index_ + 1 >= args_.size()) return usage("option " + quoted(display) + " needs an argument");
      return args_[++index_];
    };
    auto noValue = [&](bool& flag) -> Status {
      if (hasInlineValue) return usage("option " + quoted(display) + " takes no argument");
      flag = true;
      return okStatus();
    };
    if (name == "help") return noValue(help_);
    if (name == "version") return noValue(version_);
    if (name == "list-linktypes") return noValue(listLinktypes_);
    if (name == "list-interfaces") return noValue(listInterfaces_);
    if (name == "no-promiscuous-mode") {
      bool ignored = false;
      if (Status s = noValue(ignored); !s) return s;
      opts_.promiscuous = false;
      return okStatus();
    }
    if (name == "no-optimize") {
      bool ignored = false;
      if (Status s = noValue(ignored); !s) return s;
      opts_.optimizeLevel = 0;
      return okStatus();
    }
    if (name == "optimize") {
      auto v = needValue();
      if (!v) return v.takeError();
      if (*v == "none") opts_.optimizeLevel = 0;
      else if (*v == "size") opts_.optimizeLevel = 1;
      else if (*v == "speed") opts_.optimizeLevel = 2;
      else return usage("unknown optimization goal " + quoted(*v) + " (use 'size', 'speed' or 'none')");
      return okStatus();
    }
    if (name == "print-after") {
      auto v = needValue();
      if (!v) return v.takeError();
      std::string_view list = *v;
      while (true) {
        size_t comma = list.find(',');
        std::string_view pass = list.substr(0, comma);
        if (pass.empty()) return usage("option '--print-after' needs pass names, not " + quoted(*v));
        opts_.printAfter.emplace_back(pass);
        if (comma == std::string_view::npos) break;
        list = list.substr(comma + 1);
      }
      return okStatus();
    }
    if (name == "print-after-all") {
      bool ignored = false;
      if (Status s = noValue(ignored); !s) return s;
      opts_.printAfter.emplace_back("all");
      return okStatus();
    }
    if (name == "stats") return noValue(opts_.stats);
    if (name == "dot") return noValue(opts_.dot);
    if (name == "program") {
      auto v = needValue();
      if (!v) return v.takeError();
      opts_.programFile = std::string(*v);
      return okStatus();
    }
    if (name == "min-time") {
      auto v = needValue();
      if (!v) return v.takeError();
      std::string text(*v);
      char* end = nullptr;
      double seconds = text.empty() ? -1 : std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !(seconds >= 0) || seconds > 3600)
        return usage("invalid time " + quoted(*v) + " (must be a number of seconds from 0 to 3600)");
      opts_.minTime = seconds;
      return okStatus();
    }
    char letter = 0;
    if (name == "linktype") letter = 'y';
    else if (name == "snapshot-length") letter = 's';
    else if (name == "engine") letter = 'E';
    else if (name == "interface") letter = 'i';
    if (!letter) return usage("unknown option " + quoted(display));
    auto v = needValue();
    if (!v) return v.takeError();
    return withValue(letter, *v);
  }

  Status withValue(char letter, std::string_view v) {
    switch (letter) {
      case 'r': opts_.readFile = std::string(v); break;
      case 'w': opts_.writeFile = std::string(v); break;
      case 'F': opts_.filterFile = std::string(v); break;
      case 'y': opts_.linktype = std::string(v); break;
      case 'c': {
        auto n = parseNumber<uint64_t>(v);
        if (!n || *n == 0) return usage("invalid packet count " + quoted(v) + " (must be a positive number)");
        opts_.count = *n;
        break;
      }
      case 's': {
        auto n = parseNumber<uint32_t>(v);
        if (!n || *n > kMaxSnaplen)
          return usage("invalid snaplen " + quoted(v) + " (must be a number from 0 to 262144)");
        opts_.snaplen = *n == 0 ? kMaxSnaplen : *n;
        break;
      }
      case 'E':
        opts_.engineGiven = true;
        if (v == "vm") opts_.engine = Engine::Vm;
        else if (v == "jit") opts_.engine = Engine::Jit;
        else if (v == "libpcap") opts_.engine = Engine::Libpcap;
        else if (v == "all") opts_.engine = Engine::All;
        else return usage("unknown engine " + quoted(v) + " (use 'vm', 'jit', 'libpcap' or 'all')");
        break;
      case 'i': opts_.interface = std::string(v); break;
      default: break;
    }
    return okStatus();
  }

  Status checkCombination() {
    if (timestampFlags_ > 2)
      return usage("option " + quoted("-" + std::string(timestampFlags_, 't')) +
                   " is not supported (use -t or -tt)");
    if (timestampFlags_ == 1) opts_.timestamps = TimestampStyle::None;
    if (timestampFlags_ == 2) opts_.timestamps = TimestampStyle::Epoch;
    if (help_) opts_.mode = Mode::Help;
    else if (bench_) return checkBench();
    else if (version_) opts_.mode = Mode::Version;
    else if (listLinktypes_) opts_.mode = Mode::ListLinktypes;
    else if (listInterfaces_) opts_.mode = Mode::ListInterfaces;
    else if (opts_.readFile) opts_.mode = Mode::Read;
    else if (opts_.interface) opts_.mode = Mode::Live;
    if (opts_.mode != Mode::Compile && opts_.mode != Mode::Read && opts_.mode != Mode::Live) return okStatus();

    if (opts_.readFile && opts_.interface) return usage("options '-r' and '-i' cannot be used together");
    if (opts_.engineGiven && opts_.engine == Engine::All)
      return usage("engine 'all' is only for 'sift bench'");
    if (opts_.interface && opts_.engineGiven && opts_.engine == Engine::Libpcap)
      return usage("engine 'libpcap' cannot be used with '-i' (use 'vm' or 'jit')");
    bool listing = opts_.mode == Mode::Compile || (opts_.mode == Mode::Read && opts_.dumpLevel > 0);
    if (!listing) {
      if (!opts_.printAfter.empty()) return usage("option '--print-after' needs a listing (-d) or 'sift bench'");
      if (opts_.stats) return usage("option '--stats' needs a listing (-d without -i) or 'sift bench'");
    }
    if (opts_.mode != Mode::Compile) {
      if (opts_.dot) return usage("option '--dot' cannot be used with '-r' or '-i'");
      if (opts_.programFile) return usage("option '--program' cannot be used with '-r' or '-i'");
    }
    if (opts_.programFile) {
      if (opts_.filterFile) return usage("options '--program' and '-F' cannot be used together");
      if (!opts_.expressionWords.empty())
        return usage("option '--program' takes no expression, but " +
                     quoted(joinExpression(opts_.expressionWords)) + " was given");
      if (!opts_.printAfter.empty() || opts_.stats)
        return usage("options '--print-after' and '--stats' need an expression, not '--program'");
    }
    if (opts_.writeFile && !opts_.readFile && !opts_.interface)
      return usage("option '-w' needs an input: a file given with '-r' or an interface given with '-i'");
    if (opts_.interface && opts_.linktype)
      return usage("option '-y' cannot be used with '-i': the link type comes from the interface");
    if (opts_.readFile && opts_.linktype)
      return usage("option '-y' cannot be used with '-r': the link type comes from the file");
    if (opts_.writeFile && opts_.dumpLevel > 0)
      return usage("options '-d' and '-w' cannot be used together");
    if (opts_.filterFile && !opts_.expressionWords.empty()) {
      opts_.warnings.push_back("expression on the command line ignored because of '-F'");
      opts_.expressionWords.clear();
    }
    return okStatus();
  }

  /// `sift bench`: a capture file, and none of the options of the other modes.
  Status checkBench() {
    opts_.mode = Mode::Bench;
    if (!opts_.readFile) return usage("'sift bench' needs a capture file: '-r FILE'");
    if (opts_.interface) return usage("option '-i' cannot be used with 'sift bench'");
    if (opts_.writeFile) return usage("option '-w' cannot be used with 'sift bench'");
    if (opts_.dumpLevel > 0) return usage("option '-d' cannot be used with 'sift bench'");
    if (opts_.count) return usage("option '-c' cannot be used with 'sift bench'");
    if (opts_.dot || opts_.programFile) return usage("options '--dot' and '--program' cannot be used with 'sift bench'");
    if (opts_.filterFile && !opts_.expressionWords.empty()) {
      opts_.warnings.push_back("expression on the command line ignored because of '-F'");
      opts_.expressionWords.clear();
    }
    return okStatus();
  }

  std::span<const std::string_view> args_;
  size_t index_ = 0;
  Options opts_;
  int timestampFlags_ = 0;
  bool bench_ = false;
  bool help_ = false, version_ = false, listLinktypes_ = false, listInterfaces_ = false;
};

}  // namespace

Expected<Options> parseOptions(std::span<const std::string_view> args) { return Parser(args).run(); }

std::string joinExpression(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words) {
    if (!text.empty()) text += ' ';
    text += word;
  }
  return text;
}

std::string stripFilterComments(std::string text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '#') continue;
    while (i < text.size() && text[i] != '\n') text[i++] = ' ';
  }
  // A trailing newline is not part of the expression; keep inner ones so
  // spans still point at the right line.
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace sift::cli
