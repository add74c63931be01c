# Warnings are errors everywhere; floating point is never contracted (scoring.md §5) so every
# build computes the same points.
add_compile_options(-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
                    -Wno-unused-parameter -ffp-contract=off -fno-fast-math)
if(PCS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
if(PCS_FUZZ)
  # coverage and sanitizers in every library, so the fuzzer sees inside what it calls
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
