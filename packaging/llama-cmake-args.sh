#!/bin/sh
# CMAKE_ARGS for compiling llama.cpp on this machine: a portable AVX2 baseline plus the
# AVX-512 extensions /proc/cpuinfo lists (Linux lists only what the OS has enabled).
# Never GGML_NATIVE: -march=native also turns on AMX, which CPUs advertise and the OS may
# not grant (SIGILL in ggml_backend_amx_mul_mat).
args="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
has() { case " $flags " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
if has avx512f && has avx512cd && has avx512vl && has avx512dq && has avx512bw; then
  args="$args -DGGML_AVX512=ON"
  has avx512vbmi && args="$args -DGGML_AVX512_VBMI=ON"
  has avx512_vnni && args="$args -DGGML_AVX512_VNNI=ON"
  has avx512_bf16 && args="$args -DGGML_AVX512_BF16=ON"
fi
has avx_vnni && args="$args -DGGML_AVX_VNNI=ON"
echo "$args"
