// A small PTX reader: tokens, then the few declarations that matter. It reads what nvcc writes;
// instructions inside kernel bodies are skipped except for the names they mention.
#include "ptx.h"

#include <cctype>
#include <cstdlib>
#include <map>
#include <set>

namespace jclip::sim {

namespace {

std::vector<std::string> tokenize(const char* p) {
    std::vector<std::string> tokens;
    while (*p != '\0') {
        if (std::isspace(static_cast<unsigned char>(*p))) {
            ++p;
        } else if (p[0] == '/' && p[1] == '/') {
            while (*p != '\0' && *p != '\n') ++p;
        } else if (p[0] == '/' && p[1] == '*') {
            p += 2;
            while (*p != '\0' && !(p[0] == '*' && p[1] == '/')) ++p;
            if (*p != '\0') p += 2;
        } else if (*p == '"') {
            const char* start = p++;
            while (*p != '\0' && *p != '"') ++p;
            if (*p != '\0') ++p;
            tokens.emplace_back(start, p);
        } else if (std::isalnum(static_cast<unsigned char>(*p)) || *p == '.' || *p == '_' || *p == '$' || *p == '%') {
            const char* start = p++;
            while (std::isalnum(static_cast<unsigned char>(*p)) || *p == '_' || *p == '$' || *p == '.') ++p;
            tokens.emplace_back(start, p);
        } else {
            tokens.emplace_back(p, p + 1);
            ++p;
        }
    }
    return tokens;
}

std::size_t type_size(const std::string& type) {
    static const std::map<std::string, std::size_t> sizes = {
        {".b8", 1},  {".u8", 1},  {".s8", 1},  {".b16", 2},    {".u16", 2},     {".s16", 2},  {".f16", 2},
        {".bf16", 2}, {".b32", 4}, {".u32", 4}, {".s32", 4},   {".f32", 4},     {".f16x2", 4}, {".bf16x2", 4},
        {".b64", 8}, {".u64", 8}, {".s64", 8}, {".f64", 8},
    };
    auto found = sizes.find(type);
    return found == sizes.end() ? 0 : found->second;
}

// A variable declaration after its state space (.param or .shared): [.align A] [other qualifiers]
// .TYPE name[N]...; Leaves `i` after the name and dimensions.
struct Variable {
    std::string name;
    std::size_t align = 0;
    std::size_t bytes = 0;
};

bool read_variable(const std::vector<std::string>& t, std::size_t& i, Variable& variable) {
    std::size_t element = 0;
    while (i < t.size() && t[i][0] == '.') {
        if (t[i] == ".align" && i + 1 < t.size()) {
            variable.align = std::strtoul(t[++i].c_str(), nullptr, 10);
        } else if (std::size_t size = type_size(t[i])) {
            element = size;
        }
        ++i;  // .ptr, .global and the like change nothing here
    }
    if (i >= t.size() || element == 0) return false;
    variable.name = t[i++];
    variable.bytes = element;
    while (i + 2 < t.size() && t[i] == "[" && t[i + 2] == "]") {
        variable.bytes *= std::strtoul(t[i + 1].c_str(), nullptr, 10);
        i += 3;
    }
    if (variable.align == 0) variable.align = element;
    return true;
}

std::size_t align_up(std::size_t offset, std::size_t align) { return (offset + align - 1) / align * align; }

}  // namespace

bool parse_ptx(const char* text, PtxModule& module, std::string& error) {
    const std::vector<std::string> t = tokenize(text);
    std::map<std::string, std::size_t> module_shared;  // module-scope .shared variables, by name
    // Module-scope shared variables are charged to the kernels that mention them, once all are known.
    std::vector<std::set<std::string>> mentioned;
    bool seen_version = false;
    int depth = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == "{") ++depth;
        if (t[i] == "}") --depth;
        if (depth != 0) continue;
        if (t[i] == ".version") seen_version = true;
        if (t[i] == ".target" && i + 1 < t.size() && t[i + 1].rfind("sm_", 0) == 0) {
            module.version = std::atoi(t[i + 1].c_str() + 3);
        }
        if (t[i] == ".shared" && (i == 0 || t[i - 1] != ".extern")) {
            Variable v;
            std::size_t j = i + 1;
            if (read_variable(t, j, v)) module_shared[v.name] = v.bytes;
        }
        if (t[i] != ".entry") continue;

        PtxEntry entry;
        std::size_t j = i + 1;
        if (j + 1 >= t.size() || t[j + 1] != "(") {
            error = "malformed .entry near token " + std::to_string(j);
            return false;
        }
        entry.name = t[j];
        j += 2;
        while (j < t.size() && t[j] != ")") {
            if (t[j] == ".param") {
                Variable v;
                ++j;
                if (!read_variable(t, j, v)) {
                    error = "cannot read a parameter of .entry " + entry.name;
                    return false;
                }
                entry.param_sizes.push_back(v.bytes);
            } else {
                ++j;  // commas
            }
        }
        for (; j < t.size() && t[j] != "{"; ++j) {
            if ((t[j] == ".maxntid" || t[j] == ".reqntid") && j + 1 < t.size()) {
                int threads = 1;
                for (std::size_t k = j + 1; k < t.size() && (std::isdigit(static_cast<unsigned char>(t[k][0])) || t[k] == ","); ++k) {
                    if (t[k] != ",") threads *= std::atoi(t[k].c_str());
                }
                entry.max_threads_per_block = threads;
            }
        }
        // The body: its own (demoted) .shared variables, and every name it mentions.
        std::set<std::string> names;
        int body_depth = 0;
        std::size_t shared_offset = 0;
        for (; j < t.size(); ++j) {
            if (t[j] == "{") ++body_depth;
            if (t[j] == "}" && --body_depth == 0) break;
            if (t[j] == ".shared" && t[j - 1] != ".extern") {
                Variable v;
                std::size_t k = j + 1;
                if (read_variable(t, k, v)) shared_offset = align_up(shared_offset, v.align) + v.bytes;
            } else {
                names.insert(t[j]);
            }
        }
        entry.static_shared_bytes = shared_offset;
        module.entries.push_back(std::move(entry));
        mentioned.push_back(std::move(names));
        i = j;
    }
    if (!seen_version) {
        error = "not PTX text (no .version directive): the simulated GPU loads PTX only, not cubin or fatbin";
        return false;
    }
    for (std::size_t e = 0; e < module.entries.size(); ++e) {
        for (const auto& [name, bytes] : module_shared) {
            if (mentioned[e].count(name)) module.entries[e].static_shared_bytes += bytes;
        }
    }
    return true;
}

}  // namespace jclip::sim
