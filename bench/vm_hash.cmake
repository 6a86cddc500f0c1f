# VM image hashing throughput (launcher/vm/multi_hasher) vs `openssl dgst
# -sha256` on the same page-cached file in the same run; single bank and
# sha1+sha256+sha384 in one pass. Run: build/bench/vm_hash_bench
# [--size-mib 1024] [--rounds 5] [--buffer-kib N] [--buffers N].
add_executable(vm_hash_bench ${CMAKE_CURRENT_SOURCE_DIR}/vm_hash_bench.cc)
target_link_libraries(vm_hash_bench PRIVATE vouch::launcher_vm)
target_include_directories(vm_hash_bench PRIVATE ${PROJECT_SOURCE_DIR})
