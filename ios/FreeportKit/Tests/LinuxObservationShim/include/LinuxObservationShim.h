// Intentionally empty: the shim only provides a missing C++ symbol (see shim.cpp).
