# Thin wrapper: scripts/dev.sh does the work (inside a Debian unstable build root
# when this host's packages are too old). See README.md.
.PHONY: all build test asan fuzz bench regressions clean
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
# Each tests/regressions/*.patch (one issue-10 fix taken out) applied to a scratch copy
# in build/regress-src: its test must fail (slow: not part of test or CI). docs/regressions.md
regressions:
	@nice -n 19 scripts/regressions.sh
clean:
	rm -rf build build-asan build-fuzz
