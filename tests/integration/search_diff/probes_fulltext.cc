// Full-text probes (_text, _content) of the search differential test. See probes.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html#text, #content
#include <algorithm>
#include <cctype>

#include "hestia/search/index.h"
#include "probe_set.h"

namespace hestia::testing::sdiff {
namespace {

// The narrative's text (tags dropped, each tag a word break).
std::string NarrativeOf(const json::Value& resource) {
  const json::Value* text = json::Member(resource, "text");
  const json::Value* div = text != nullptr ? json::Member(*text, "div") : nullptr;
  if (div == nullptr || !json::IsText(*div)) return "";
  std::string out;
  bool in_tag = false;
  for (const char c : json::AsStringView(*div)) {
    if (c == '<') in_tag = true;
    if (!in_tag) out.push_back(c);
    if (c == '>') {
      in_tag = false;
      out.push_back(' ');
    }
  }
  return out;
}

// String values of a JSON tree, space-separated: all of them when `free_text_only` is false;
// else only members that are FHIR strings of free text in every type that has them (display,
// text, name parts, address parts, description, comment), which any reading of "the entire
// content" includes — codes, ids, URIs and resourceType may or may not count.
void StringsOf(const json::Value& v, bool free_text_only, std::string* out) {
  static const std::set<std::string, std::less<>> kFreeText = {
      "display", "text", "name", "family", "given", "city", "line", "description", "comment"};
  if (json::IsText(v)) {
    out->append(json::AsStringView(v));
    out->push_back(' ');
  } else if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      const std::string_view key(m.name.GetString(), m.name.GetStringLength());
      if (key == "div") continue;  // the narrative is _text's
      if (free_text_only && !m.value.IsObject() &&
          !(m.value.IsArray() && !m.value.Empty() && m.value[0].IsObject()) &&
          kFreeText.count(key) == 0) {
        continue;
      }
      StringsOf(m.value, free_text_only, out);
    }
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) StringsOf(e, free_text_only, out);
  }
}

bool SafeLeft(char c) { return c == ' ' || c == '(' || c == '"' || c == '\n' || c == '\t'; }

// Lower-case ASCII words of 5 to 12 letters that stand alone: preceded by a space, '(' or a
// quote and followed by a space, ')', ',', ';' or a sentence-ending '.' — contexts in which any
// tokenizer sees a plain word (not part of an e-mail, URL, host or hyphenated compound).
std::set<std::string> StandaloneWords(const std::string& text) {
  std::set<std::string> out;
  for (std::size_t i = 0; i < text.size();) {
    if (!std::isalpha(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && std::isalnum(static_cast<unsigned char>(text[j]))) ++j;
    const bool left = i == 0 || SafeLeft(text[i - 1]);
    bool right = j == text.size() || text[j] == ' ' || text[j] == ')' || text[j] == ',' ||
                 text[j] == ';' || text[j] == '\n';
    if (j < text.size() && text[j] == '.') right = j + 1 == text.size() || text[j + 1] == ' ';
    const std::string word = text.substr(i, j - i);
    const bool letters = std::all_of(word.begin(), word.end(), [](char c) {
      return std::isalpha(static_cast<unsigned char>(c));
    });
    if (left && right && letters && word.size() >= 5 && word.size() <= 12) out.insert(Lower(word));
    i = j;
  }
  return out;
}

}  // namespace

std::vector<Probe> ProbeBuilder::FullText(const std::string& type, const std::string& code) const {
  const auto& resources = corpus_.OfType(type);
  std::vector<std::string> texts;
  std::vector<std::set<std::string>> words;
  std::map<std::string, int> counts;
  for (const StoredResource* r : resources) {
    std::string required;
    std::string all;
    if (code == "_text") {
      required = all = NarrativeOf(*r->doc);
    } else {
      StringsOf(*r->doc, true, &required);
      all = json::Write(*r->doc);
    }
    words.push_back(StandaloneWords(required));
    for (const auto& w : words.back()) ++counts[w];
    // Case- and accent-folded (the server's words are: "Muñoz" is found by "munoz").
    texts.push_back(search::NormalizeString(all));
  }
  std::vector<Probe> out;
  std::vector<std::string> picked = Pick(counts, kSamples);
  picked.push_back("sdiffzzqword");
  for (const std::string& w : picked) {
    Probe p;
    p.shown = code + "=" + w;
    p.query = code + "=" + UrlEncode(w);
    p.bounded = true;
    for (std::size_t i = 0; i < resources.size(); ++i) {
      if (words[i].count(w) > 0) p.expected.push_back(resources[i]->id);
      if (texts[i].find(w) != std::string::npos) p.allowed.push_back(resources[i]->id);
    }
    std::sort(p.expected.begin(), p.expected.end());
    std::sort(p.allowed.begin(), p.allowed.end());
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace hestia::testing::sdiff
