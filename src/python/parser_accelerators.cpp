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

// Both checks walk the generated arrays with a plain pointer: the room left is checked once per block
// (the header, the labels, a DFA's head and FIRST set, a state and its arcs), not at every element, and
// the elements of a block are compared without a branch each (their differences OR-ed together).

// Whether `n` more elements are left between `p` and `end` (n < 0: never).
bool room(const int* p, const int* end, long n) { return n >= 0 && end - p >= n; }

bool same_shape(const grammar& g) {
    const int* p = parser_grammar_shape;
    const int* const end = p + parser_grammar_shape_size;
    const int nlabels = g.g_ll.ll_nlabels;
    if (!room(p, end, 3) || p[0] != g.g_ndfas || p[1] != nlabels || p[2] != g.g_start || !room(p + 3, end, nlabels))
        return false;
    p += 3;
    int differs = 0;
    for (int i = 0; i < nlabels; ++i) differs |= p[i] ^ g.g_ll.ll_label[i].lb_type;
    p += nlabels;
    const int first_bytes = (nlabels + 7) / 8;
    for (int i = 0; i < g.g_ndfas; ++i) {
        const dfa& d = g.g_dfa[i];
        if (!room(p, end, 3L + first_bytes) || p[0] != d.d_type || p[1] != d.d_initial || p[2] != d.d_nstates)
            return false;
        p += 3;
        for (int b = 0; b < first_bytes; ++b) differs |= p[b] ^ static_cast<unsigned char>(d.d_first[b]);
        p += first_bytes;
        for (int j = 0; j < d.d_nstates; ++j) {
            const state& s = d.d_state[j];
            if (!room(p, end, 1) || p[0] != s.s_narcs || !room(p + 1, end, 2L * s.s_narcs)) return false;
            ++p;
            for (int k = 0; k < s.s_narcs; ++k)
                differs |= (p[2 * k] ^ s.s_arc[k].a_lbl) | (p[2 * k + 1] ^ s.s_arc[k].a_arrow);
            p += 2L * s.s_narcs;
        }
    }
    return differs == 0 && p == end;
}

// Whether the accelerator tables hold exactly one well-formed entry per state of `g` (per state: lower,
// upper, accept, width, then `width` entries).
bool tables_fit(const grammar& g) {
    const int* p = parser_accelerators;
    const int* const end = p + parser_accelerators_size;
    for (int i = 0; i < g.g_ndfas; ++i) {
        for (int j = 0; j < g.g_dfa[i].d_nstates; ++j) {
            if (!room(p, end, 4)) return false;
            const int lower = p[0], upper = p[1], width = p[3];
            if (width < 0 || (width > 0 && upper - lower != width) || !room(p + 4, end, width)) return false;
            p += 4 + width;
        }
    }
    return p == end;
}

}  // namespace

bool install_parser_accelerators() noexcept {
    grammar& g = _PyParser_Grammar;
    // Everything is checked before the first state is touched: never half a grammar.
    if (g.g_accel || parser_grammar_shape_size == 0 || !same_shape(g) || !tables_fit(g)) return false;
    const int* p = parser_accelerators;
    for (int i = 0; i < g.g_ndfas; ++i) {
        dfa& d = g.g_dfa[i];
        for (int j = 0; j < d.d_nstates; ++j) {
            const int width = p[3];
            state& s = d.d_state[j];
            s.s_accept = p[2];
            if (width > 0) {
                s.s_lower = p[0];
                s.s_upper = p[1];
                s.s_accel = const_cast<int*>(p + 4);  // only ever read by the parser
            }
            p += 4 + width;
        }
    }
    g.g_accel = 1;
    return true;
}

}  // namespace lambda_py27::python::detail
