// Asio, Beast and JSON compiled once for the whole project (their separate-compilation switches are
// set by lambda_py27_boost_separate_compilation() on every target that includes them).
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
#include <boost/json/src.hpp>
