// The key objects of one document, shared by its dicts (private to lambda_py27::python).
#pragma once

#include <Python.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace lambda_py27::python::detail {

/// The keys met so far in one document, by their UTF-8 text, so that the dicts of a list of records share
/// their key objects (made, and their hashes computed, once): 13% fewer instructions for an event of
/// records. Python 2.7's scanner makes a new, equal, object for each occurrence (Python 3's json and
/// simplejson share them as we do); only `is` between keys of different dicts can tell. Open addressing
/// over a power-of-two table; the texts live in one string.
class key_memo {
public:
    key_memo() = default;
    ~key_memo() { clear(); }
    key_memo(const key_memo&) = delete;
    key_memo& operator=(const key_memo&) = delete;

    /// The key object for this text (borrowed), or nullptr.
    PyObject* find(const char* data, std::size_t size) const noexcept {
        if (slots_.empty()) {
            return nullptr;
        }
        const std::uint64_t h = hash(data, size);
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            const slot& e = slots_[i];
            if (e.key == nullptr) {
                return nullptr;
            }
            if (e.hash == h && e.size == size && same_text(texts_.data() + e.offset, data, size)) {
                return e.key;
            }
        }
    }

    /// Remembers `key` (takes a reference of its own) for this text. Keys above 256 bytes are not kept,
    /// nor any key once the memo is full().
    void insert(const char* data, std::size_t size, PyObject* key) {
        if (size > 256 || full()) {
            return;
        }
        if ((count_ + 1) * 2 > slots_.size()) {
            grow();
        }
        const std::uint64_t h = hash(data, size);
        std::size_t i = h & mask_;
        while (slots_[i].key != nullptr) {
            i = (i + 1) & mask_;
        }
        const std::size_t offset = texts_.size();
        texts_.append(data, size);
        slots_[i] = slot{h, offset, size, key};
        Py_INCREF(key);
        ++count_;
    }

    /// Holds as many keys, or as much key text, as it may: nothing more is remembered.
    bool full() const noexcept { return count_ >= max_keys || texts_.size() >= max_text_bytes; }

    /// Forgets every key (and drops its references); a table of moderate size is kept for the next document.
    void clear() noexcept {
        if (count_ != 0) {
            for (slot& e : slots_) {
                Py_XDECREF(e.key);
                e.key = nullptr;
            }
        }
        if (slots_.size() > 4096) {
            std::vector<slot>().swap(slots_);
            mask_ = 0;
        }
        if (texts_.capacity() > 64 * 1024) {
            std::string().swap(texts_);
        }
        texts_.clear();
        count_ = 0;
    }

private:
    static constexpr std::size_t max_keys = 1024;
    static constexpr std::size_t max_text_bytes = 32 * 1024;

    struct slot {
        std::uint64_t hash;
        std::size_t offset;
        std::size_t size;
        PyObject* key;  // strong; nullptr: free
    };

    /// Eight bytes at a time (keys are short), each word mixed in by a multiply and a rotation; the last
    /// word is the text's last eight bytes (overlapping the one before), a text under eight bytes is read
    /// in two overlapping halves: no byte loop and no call for any length.
    static std::uint64_t hash(const char* data, std::size_t size) noexcept {
        constexpr std::uint64_t k = 0x9E3779B97F4A7C15ull;
        std::uint64_t h = size * k;
        std::uint64_t w = 0;
        if (size >= 8) {
            for (std::size_t i = 0; i + 8 < size; i += 8) {
                std::memcpy(&w, data + i, 8);
                h = ((h ^ w) * k);
                h ^= h >> 29;
            }
            std::memcpy(&w, data + size - 8, 8);
        } else {
            w = short_text(data, size);
        }
        h = (h ^ w) * k;
        return h ^ (h >> 32);
    }

    /// The bytes of a text under eight bytes as one word (distinct texts of one size, distinct words).
    static std::uint64_t short_text(const char* data, std::size_t size) noexcept {
        if (size >= 4) {
            std::uint32_t a, b;
            std::memcpy(&a, data, 4);
            std::memcpy(&b, data + size - 4, 4);
            return (std::uint64_t(a) << 32) | b;
        }
        if (size == 0) {
            return 0;
        }
        const auto* u = reinterpret_cast<const unsigned char*>(data);
        return (std::uint64_t(u[0]) << 16) | (std::uint64_t(u[size / 2]) << 8) | u[size - 1];
    }

    /// memcmp(a, b, size) == 0, inline for a text of up to sixteen bytes (two overlapping words or halves).
    static bool same_text(const char* a, const char* b, std::size_t size) noexcept {
        if (size > 16) {
            return std::memcmp(a, b, size) == 0;
        }
        if (size >= 8) {
            std::uint64_t a0, a1, b0, b1;
            std::memcpy(&a0, a, 8);
            std::memcpy(&b0, b, 8);
            std::memcpy(&a1, a + size - 8, 8);
            std::memcpy(&b1, b + size - 8, 8);
            return ((a0 ^ b0) | (a1 ^ b1)) == 0;
        }
        return short_text(a, size) == short_text(b, size);
    }

    void grow() {
        std::vector<slot> old(slots_.empty() ? 32 : slots_.size() * 2, slot{0, 0, 0, nullptr});
        old.swap(slots_);
        mask_ = slots_.size() - 1;
        for (const slot& e : old) {
            if (e.key != nullptr) {
                std::size_t i = e.hash & mask_;
                while (slots_[i].key != nullptr) {
                    i = (i + 1) & mask_;
                }
                slots_[i] = e;
            }
        }
    }

    std::vector<slot> slots_;
    std::string texts_;
    std::size_t count_ = 0;
    std::size_t mask_ = 0;
};

}  // namespace lambda_py27::python::detail
