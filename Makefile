# Thin wrapper: scripts/dev.sh does the work (inside a Debian unstable build root
# when this host's packages are too old). See README.md.
.PHONY: all build test asan bench clean
all: build
build:
	@scripts/dev.sh build
test:
	@scripts/dev.sh test
asan:
	@scripts/dev.sh asan
bench:
	@scripts/dev.sh bench
clean:
	rm -rf build build-asan
