// float.__repr__ for json_dumps: Python 2.7's float_repr (shortest round-trip digits, laid out by
// format_float_short with mode 'r'), with a fast path for short decimals.
#include "json_float_repr.hpp"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lambda_py27::python::detail {
namespace {

/// float.__repr__ of a finite value (Python 2.7's float_repr: the shortest digits that round-trip, laid
/// out by format_float_short with mode 'r' and Py_DTSF_ADD_DOT_0): positional when the decimal point
/// falls within -4 < exponent + 1 <= 16 (`0.0001`, `1.5`, `1e+16` is the first exponent form), then
/// `d.ddde+XX` with at least two exponent digits, and ".0" after a positional integer. The digits are
/// std::to_chars' shortest round-trip ones, which are the same: both take, among the shortest digit
/// strings that round-trip, the one nearest the exact value.
void append_finite_float(json_sink& out, double v) {
    char sci[64];
    const auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
    // sci: [-]d[.ddd]e(+|-)XX[X]
    const char* p = sci;
    char* const buf = out.room(32);  // at most 24: "-d.dddddddddddddddde-308"
    char* o = buf;
    if (*p == '-') {
        *o++ = '-';
        ++p;
    }
    char digits[32];
    std::size_t n = 0;
    digits[n++] = *p++;
    if (*p == '.') {
        ++p;
        while (*p != 'e') {
            digits[n++] = *p++;
        }
    }
    ++p;  // 'e'
    const bool negative_exp = *p == '-';
    ++p;
    int exp = 0;
    while (p < r.ptr) {
        exp = exp * 10 + (*p++ - '0');
    }
    if (negative_exp) {
        exp = -exp;
    }
    const int decpt = exp + 1;  // value = 0.d1d2...dn * 10^decpt
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = decpt; i < 0; ++i) {
                *o++ = '0';
            }
            for (std::size_t i = 0; i < n; ++i) {
                *o++ = digits[i];
            }
        } else if (static_cast<std::size_t>(decpt) >= n) {
            for (std::size_t i = 0; i < n; ++i) {
                *o++ = digits[i];
            }
            for (std::size_t i = n; i < static_cast<std::size_t>(decpt); ++i) {
                *o++ = '0';
            }
            *o++ = '.';
            *o++ = '0';
        } else {
            for (std::size_t i = 0; i < n; ++i) {
                if (i == static_cast<std::size_t>(decpt)) {
                    *o++ = '.';
                }
                *o++ = digits[i];
            }
        }
    } else {
        *o++ = digits[0];
        if (n > 1) {
            *o++ = '.';
            for (std::size_t i = 1; i < n; ++i) {
                *o++ = digits[i];
            }
        }
        *o++ = 'e';
        *o++ = exp < 0 ? '-' : '+';
        const int a = exp < 0 ? -exp : exp;
        if (a < 10) {
            *o++ = '0';
        }
        o = std::to_chars(o, buf + 32, a).ptr;
    }
    out.advance(o);
}

/// The positional repr of a finite float that is a decimal of at most 15 significant digits, at most 16
/// integer digits and no more than -log10(|v|) + 15 fractional ones (prices, coordinates, measurements):
/// 123.25 is 12325 / 10^2. For the least k for which N = round(v * 10^k) gives back v as N / 10^k (a
/// correctly rounded division of two exact doubles, so exactly what parsing "N e-k" gives), N's digits are
/// the shortest that round-trip: a decimal with fewer significant digits at this magnitude has fewer
/// fractional digits and would have been found at a smaller k, and below 10^15 no two decimals of as many
/// digits round to the same double. False when the value is not of that kind (repr's general path then).
bool append_short_decimal_float(json_sink& out, double v) {
    static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const double a = v < 0 ? -v : v;
    if (!(a >= 1e-4 && a < 1e15)) {  // positional layout only; 0.0 and -0.0 take the general path
        return false;
    }
    for (int k = 0; k < 16; ++k) {
        const double scaled = a * kPow10[k];
        if (scaled >= 1e15) {
            return false;
        }
        const auto n = static_cast<std::int64_t>(scaled + 0.5);
        if (static_cast<double>(n) / kPow10[k] != a) {
            continue;
        }
        char digits[24];
        const char* end = std::to_chars(digits, digits + sizeof digits, n).ptr;
        const int count = static_cast<int>(end - digits);
        char* p = out.room(40);
        if (v < 0) {
            *p++ = '-';
        }
        if (k == 0) {
            std::memcpy(p, digits, static_cast<std::size_t>(count));
            p += count;
            *p++ = '.';
            *p++ = '0';
        } else if (count > k) {
            std::memcpy(p, digits, static_cast<std::size_t>(count - k));
            p += count - k;
            *p++ = '.';
            std::memcpy(p, digits + count - k, static_cast<std::size_t>(k));
            p += k;
        } else {
            *p++ = '0';
            *p++ = '.';
            for (int z = count; z < k; ++z) {
                *p++ = '0';
            }
            std::memcpy(p, digits, static_cast<std::size_t>(count));
            p += count;
        }
        out.advance(p);
        return true;
    }
    return false;
}

}  // namespace

/// float.__repr__ of the value, or the allow_nan names.
bool append_float(json_sink& out, double v) {
    if (!std::isfinite(v)) {
        if (v > 0) {
            out.put("Infinity");
        } else if (v < 0) {
            out.put("-Infinity");
        } else {
            out.put("NaN");
        }
        return true;
    }
    if (!append_short_decimal_float(out, v)) {
        append_finite_float(out, v);
    }
    return true;
}

}  // namespace lambda_py27::python::detail
