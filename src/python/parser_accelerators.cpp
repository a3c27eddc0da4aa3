// Installs the parser accelerators computed at build time (parser_accelerators.hpp).
#include "python/parser_accelerators.hpp"

#include <Python.h>
#include <grammar.h>

#include <cstddef>

extern "C" {
extern grammar _PyParser_Grammar;  // Python/graminit.c (exported; declared by no installed header)
}

namespace lambda_py27::python::detail {

// Generated translation unit (cmake/scripts/parser_accelerators.py): the grammar's shape, then per state
// in order: lower, upper, accept, width, then `width` accelerator entries.
extern const int parser_grammar_shape[];
extern const std::size_t parser_grammar_shape_size;
extern const int parser_accelerators[];
extern const std::size_t parser_accelerators_size;

namespace {

/// Reads the generated tables in order; every read is bounds-checked.
class reader {
public:
    reader(const int* data, std::size_t size) : data_(data), size_(size) {}
    bool next(int& v) {
        if (at_ >= size_) return false;
        v = data_[at_++];
        return true;
    }
    bool expect(int v) {
        int got = 0;
        return next(got) && got == v;
    }
    const int* here() const { return data_ + at_; }
    bool skip(std::size_t n) {
        if (n > size_ - at_) return false;
        at_ += n;
        return true;
    }
    bool done() const { return at_ == size_; }

private:
    const int* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

bool same_shape(const grammar& g) {
    reader r(parser_grammar_shape, parser_grammar_shape_size);
    const int nlabels = g.g_ll.ll_nlabels;
    if (!r.expect(g.g_ndfas) || !r.expect(nlabels) || !r.expect(g.g_start)) return false;
    for (int i = 0; i < nlabels; ++i)
        if (!r.expect(g.g_ll.ll_label[i].lb_type)) return false;
    const int first_bytes = (nlabels + 7) / 8;
    for (int i = 0; i < g.g_ndfas; ++i) {
        const dfa& d = g.g_dfa[i];
        if (!r.expect(d.d_type) || !r.expect(d.d_initial) || !r.expect(d.d_nstates)) return false;
        for (int b = 0; b < first_bytes; ++b)
            if (!r.expect(static_cast<unsigned char>(d.d_first[b]))) return false;
        for (int j = 0; j < d.d_nstates; ++j) {
            const state& s = d.d_state[j];
            if (!r.expect(s.s_narcs)) return false;
            for (int k = 0; k < s.s_narcs; ++k)
                if (!r.expect(s.s_arc[k].a_lbl) || !r.expect(s.s_arc[k].a_arrow)) return false;
        }
    }
    return r.done();
}

}  // namespace

bool install_parser_accelerators() noexcept {
    grammar& g = _PyParser_Grammar;
    if (g.g_accel || parser_grammar_shape_size == 0 || !same_shape(g)) return false;
    // First check the tables cover every state, then install: never half a grammar.
    for (int pass = 0; pass < 2; ++pass) {
        reader r(parser_accelerators, parser_accelerators_size);
        for (int i = 0; i < g.g_ndfas; ++i) {
            dfa& d = g.g_dfa[i];
            for (int j = 0; j < d.d_nstates; ++j) {
                int lower = 0, upper = 0, accept = 0, width = 0;
                if (!r.next(lower) || !r.next(upper) || !r.next(accept) || !r.next(width) || width < 0 ||
                    (width > 0 && upper - lower != width))
                    return false;
                const int* table = r.here();
                if (!r.skip(static_cast<std::size_t>(width))) return false;
                if (pass == 1) {
                    state& s = d.d_state[j];
                    s.s_accept = accept;
                    if (width > 0) {
                        s.s_lower = lower;
                        s.s_upper = upper;
                        s.s_accel = const_cast<int*>(table);  // only ever read by the parser
                    }
                }
            }
        }
        if (!r.done()) return false;
    }
    g.g_accel = 1;
    return true;
}

}  // namespace lambda_py27::python::detail
