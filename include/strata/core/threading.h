#pragma once
// The one threading knob: OpenMP (shared by Strata's loops and OpenBLAS's OpenMP build). Nothing nests.
namespace strata {

int get_num_threads();
void set_num_threads(int n);
// Which GEMM backend is linked: "openblas-openmp" or "strata-packed".
const char* gemm_backend();

}  // namespace strata
