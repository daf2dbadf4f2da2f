// Runs the CLI golden cases in cases/*.txt and, with --update, rewrites
// their expectations from what sift actually printed.
//
// A case file is a header, then the expected output in three sections:
//
//   # what the case checks (any number of comment lines)
//   requires: tcpdump            (optional: a program on PATH, "pcaps", "corpus", "root")
//   $ "$SIFT" -d 'tcp port 80'   (one shell command line)
//   --- stdout
//   (000) ldh      [12]
//   ...
//   --- stderr
//   --- exit 0
//
// The command runs under /bin/sh in a fresh scratch directory with TZ=UTC
// and these variables: SIFT (the executable), DATA (the generated capture
// files, see packets.h), CASES (this folder's cases/, for -F files), TMP
// (the scratch directory), PCAPS (the shared real captures), CORPUS (the
// project's corpus/ folder). Their values
// are replaced by "$NAME" in the output before comparing, so expectations
// hold no machine paths. A section whose output lacks a final newline
// ends with the line "\ no newline at end".
//
// Timings vary from run to run: a decimal number before "ns/packet" or "ms"
// (what `sift bench` prints) is replaced by "N.NN" before comparing.
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "packets.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kNoNewline = "\\ no newline at end";

struct Case {
  std::string name;
  fs::path file;
  std::vector<std::string> header;  // verbatim, up to the first section
  std::string command;
  std::vector<std::string> requires_;
  std::string expectedOut, expectedErr;
  int expectedExit = 0;
  bool hasExpectation = false;
};

struct Result {
  std::string out, err;
  int exit = 0;
};

std::string readText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

/// Joins section lines back into the output text they stand for.
std::string sectionText(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  if (!lines.empty() && lines.back() == kNoNewline) {
    text.resize(text.size() - std::string(kNoNewline).size() - 1);  // the marker line
    if (!text.empty()) text.pop_back();                                // and the newline before it
  }
  return text;
}

std::string sectionLines(const std::string& text) {
  if (text.empty() || text.back() == '\n') return text;
  return text + "\n" + kNoNewline + "\n";
}

bool parseCase(const fs::path& file, Case& c, std::string& error) {
  c.file = file;
  c.name = file.stem().string();
  std::vector<std::string> lines = splitLines(readText(file));
  std::vector<std::string>* section = nullptr;
  std::vector<std::string> out, err;
  for (const auto& line : lines) {
    if (line.starts_with("--- ")) {
      std::string what = line.substr(4);
      if (what == "stdout") section = &out;
      else if (what == "stderr") section = &err;
      else if (what.starts_with("exit ")) {
        c.expectedExit = std::atoi(what.c_str() + 5);
        c.hasExpectation = true;
        section = nullptr;
      } else {
        error = "unknown section '" + line + "'";
        return false;
      }
      continue;
    }
    if (section) {
      section->push_back(line);
      continue;
    }
    if (c.hasExpectation || !out.empty() || !err.empty()) continue;  // text after '--- exit'
    c.header.push_back(line);
    if (line.starts_with("$ ")) c.command = line.substr(2);
    if (line.starts_with("requires: ")) c.requires_.push_back(line.substr(10));
  }
  c.expectedOut = sectionText(out);
  c.expectedErr = sectionText(err);
  if (c.command.empty()) {
    error = "no '$ command' line";
    return false;
  }
  return true;
}

struct Environment {
  std::string sift, data, cases, pcaps, corpus;
};

bool onPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::istringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string missingRequirement(const Case& c, const Environment& env) {
  for (const auto& r : c.requires_) {
    if (r == "pcaps") {
      if (!fs::is_directory(env.pcaps)) return "no shared captures";
    } else if (r == "root") {
      if (geteuid() != 0) return "not running as root";
    } else if (r == "corpus") {
      if (!fs::exists(fs::path(env.corpus) / "sample.pcap")) return "no corpus/sample.pcap";
    } else if (!onPath(r)) {
      return "no '" + r + "' on PATH";
    }
  }
  return {};
}

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

Result run(const Case& c, const Environment& env, const fs::path& scratch) {
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  std::string outPath = (scratch / ".stdout").string(), errPath = (scratch / ".stderr").string();
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(scratch.c_str()) != 0) _exit(127);
    int in = open("/dev/null", O_RDONLY);
    int out = open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    setenv("SIFT", env.sift.c_str(), 1);
    setenv("DATA", env.data.c_str(), 1);
    setenv("CASES", env.cases.c_str(), 1);
    setenv("PCAPS", env.pcaps.c_str(), 1);
    setenv("CORPUS", env.corpus.c_str(), 1);
    setenv("TMP", scratch.c_str(), 1);
    setenv("TZ", "UTC", 1);
    setenv("LC_ALL", "C", 1);
    alarm(120);
    execl("/bin/sh", "sh", "-c", c.command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  Result r;
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) {
    r.exit = -1;
    return r;
  }
  r.exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = readText(outPath);
  r.err = readText(errPath);
  // Longest first: TMP and the captures live under the build folder.
  std::vector<std::pair<std::string, std::string>> names = {
      {scratch.string(), "$TMP"}, {env.sift, "$SIFT"}, {env.data, "$DATA"}, {env.cases, "$CASES"}, {env.pcaps, "$PCAPS"},
      {env.corpus, "$CORPUS"}};
  std::sort(names.begin(), names.end(), [](auto& a, auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [from, to] : names) {
    replaceAll(r.out, from, to);
    replaceAll(r.err, from, to);
  }
  static const std::regex timing("[0-9]+\\.[0-9]+ (ns/packet|ms)\\b");
  r.out = std::regex_replace(r.out, timing, "N.NN $1");
  r.err = std::regex_replace(r.err, timing, "N.NN $1");
  return r;
}

void writeCase(const Case& c, const Result& r) {
  std::ofstream out(c.file, std::ios::binary | std::ios::trunc);
  for (const auto& line : c.header) out << line << "\n";
  out << "--- stdout\n" << sectionLines(r.out) << "--- stderr\n" << sectionLines(r.err) << "--- exit " << r.exit << "\n";
}

void showDifference(const char* what, const std::string& expected, const std::string& actual) {
  if (expected == actual) return;
  std::cout << "  " << what << " expected:\n";
  for (const auto& l : splitLines(expected)) std::cout << "    |" << l << "\n";
  std::cout << "  " << what << " actual:\n";
  for (const auto& l : splitLines(actual)) std::cout << "    |" << l << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  Environment env{SIFT_CLI_EXECUTABLE, SIFT_CLI_DATA_DIR, SIFT_CLI_CASES_DIR, SIFT_CLI_PCAPS_DIR,
                  SIFT_CLI_CORPUS_DIR};
  bool update = false;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--update") update = true;
    else if (a == "--sift") env.sift = next();
    else if (a == "--data") env.data = next();
    else if (a == "--cases") env.cases = next();
    else if (a == "--pcaps") env.pcaps = next();
    else if (a == "--help") {
      std::cout << "usage: cli_golden [--update] [--sift PATH] [--cases DIR] [--data DIR] [--pcaps DIR] [CASE...]\n";
      return 0;
    } else only.push_back(a);
  }
  env.pcaps = fs::weakly_canonical(env.pcaps).string();
  fs::create_directories(env.data);
  std::string error;
  if (!sift::testing::writeFixtures(env.data, error)) {
    std::cerr << "cli_golden: " << error << "\n";
    return 2;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(env.cases))
    if (entry.path().extension() == ".txt") files.push_back(entry.path());
  std::sort(files.begin(), files.end());

  int passed = 0, failed = 0, skipped = 0, updated = 0;
  for (const auto& file : files) {
    Case c;
    if (!only.empty() && std::find(only.begin(), only.end(), file.stem().string()) == only.end()) continue;
    if (!parseCase(file, c, error)) {
      std::cout << "FAIL " << file.filename().string() << ": " << error << "\n";
      ++failed;
      continue;
    }
    if (std::string why = missingRequirement(c, env); !why.empty()) {
      std::cout << "SKIP " << c.name << " (" << why << ")\n";
      ++skipped;
      continue;
    }
    Result r = run(c, env, fs::path(env.data) / "scratch" / c.name);
    bool same = c.hasExpectation && r.out == c.expectedOut && r.err == c.expectedErr && r.exit == c.expectedExit;
    if (same) {
      ++passed;
      continue;
    }
    if (update) {
      writeCase(c, r);
      std::cout << "UPDATE " << c.name << "\n";
      ++updated;
      continue;
    }
    std::cout << "FAIL " << c.name << "\n  $ " << c.command << "\n";
    showDifference("stdout", c.expectedOut, r.out);
    showDifference("stderr", c.expectedErr, r.err);
    if (r.exit != c.expectedExit) std::cout << "  exit expected " << c.expectedExit << ", actual " << r.exit << "\n";
    ++failed;
  }
  std::cout << passed << " passed, " << failed << " failed, " << skipped << " skipped";
  if (update) std::cout << ", " << updated << " updated";
  std::cout << "\n";
  return failed == 0 ? 0 : 1;
}
