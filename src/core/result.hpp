// A small expected<T, error> of our own: clang 14 (the compiler with libFuzzer here) cannot compile
// libstdc++'s <expected>. Expected failures are values; exceptions are only for "the unit of work
// must stop" situations that cannot be reached from input.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace dmarcsight {

struct error {
    std::string message;
    // Byte offset into the input the error refers to, or -1 when it has none.
    std::int64_t offset = -1;
    // A fatal error ends the unit being parsed (the report); a non-fatal one drops a smaller unit.
    bool fatal = true;
};

struct unexpected {
    error err;
};

inline unexpected fail(std::string message, std::int64_t offset = -1) {
    return unexpected{error{std::move(message), offset, true}};
}

template <class T>
class [[nodiscard]] result {
public:
    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    result(unexpected u) : v_(std::in_place_index<1>, std::move(u.err)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const error& err() const { return std::get<1>(v_); }

private:
    std::variant<T, error> v_;
};

template <>
class [[nodiscard]] result<void> {
public:
    result() = default;
    result(unexpected u) : err_(std::move(u.err)), ok_(false) {}
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const error& err() const { return err_; }

private:
    error err_;
    bool ok_ = true;
};

}  // namespace dmarcsight
