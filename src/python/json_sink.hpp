// The output of json_dumps: a std::string written through a raw pointer (private to lambda_py27::python).
#pragma once

#include <cstddef>
#include <cstring>
#include <string>

namespace lambda_py27::python::detail {

/// The output: the caller's std::string, written through a raw pointer. While the encoder runs the string
/// is kept at its full size (grown by doubling, a new part zero-filled once) and cut to what was written
/// when the sink goes.
class json_sink {
public:
    explicit json_sink(std::string& s) : s_(s) {
        const std::size_t start = s_.size();
        s_.resize(s_.capacity() > start + 64 ? s_.capacity() : start + 256);
        p_ = s_.data() + start;
        end_ = s_.data() + s_.size();
    }
    ~json_sink() { s_.resize(size()); }
    json_sink(const json_sink&) = delete;
    json_sink& operator=(const json_sink&) = delete;

    std::size_t size() const noexcept { return static_cast<std::size_t>(p_ - s_.data()); }
    /// Where to write the next `n` bytes (at most); `advance` past what was written.
    char* room(std::size_t n) {
        if (static_cast<std::size_t>(end_ - p_) < n) {
            grow(n);
        }
        return p_;
    }
    void advance(char* p) noexcept { p_ = p; }
    void put(char c) { *room(1) = c, ++p_; }
    void put(const char* data, std::size_t n) {
        std::memcpy(room(n), data, n);
        p_ += n;
    }
    template <std::size_t N>
    void put(const char (&literal)[N]) {
        put(literal, N - 1);
    }
    /// Forgets everything written after the first `size` bytes.
    void truncate(std::size_t size) noexcept { p_ = s_.data() + size; }

private:
    void grow(std::size_t n) {
        const std::size_t used = size();
        const std::size_t want = used + n > 2 * s_.size() ? used + n : 2 * s_.size();
        s_.resize(want);
        p_ = s_.data() + used;
        end_ = s_.data() + s_.size();
    }

    std::string& s_;
    char* p_ = nullptr;
    char* end_ = nullptr;
};

}  // namespace lambda_py27::python::detail
