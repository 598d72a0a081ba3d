# Thin wrapper: scripts/dev.sh does the work (inside a Debian unstable build root
# when this host's packages are too old). See README.md.
.PHONY: all build test asan fuzz bench clean
all: build
build:
	@scripts/dev.sh build
test:
	@scripts/dev.sh test
asan:
	@scripts/dev.sh asan
# Each libFuzzer target for FUZZ_SECONDS (default 600); FUZZ_TARGETS="gguf audio" picks some.
fuzz:
	@scripts/dev.sh fuzz
bench:
	@scripts/dev.sh bench
clean:
	rm -rf build build-asan build-fuzz
