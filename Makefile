# The two commands: `make run` and `make test` (see README.md). Both install what is missing.
JOBS ?= $(shell nproc)
DATA_DIR ?= var
PORT ?= 8080

.PHONY: setup build run test lint format clean

setup:
	scripts/setup.sh

# Release build of the server at build/hestia and the plug-ins in build/plugins-out.
build: setup
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHESTIA_TESTS=OFF >/dev/null
	cmake --build build -j $(JOBS) --target hestia hestia_scheduling

# Starts the server with an embedded PostgreSQL in ./var, the demo clinic and the scheduling
# plug-in (docs/scheduling.md).
# The plug-in loader accepts only a folder that is not group- or world-writable, reached
# without symbolic links.
run: build
	chmod 755 build/plugins-out build/plugins-out/scheduling.so
	build/hestia serve --port $(PORT) --data-dir $(DATA_DIR) --demo true \
	  --plugins-dir "$$(realpath build/plugins-out)" \
	  --plugins-list '[{name: scheduling, file: scheduling.so}]'

# Sanitizer build (ASan + UBSan), format and tidy checks, every test through ctest.
test: setup
	cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DHESTIA_SANITIZE=ON >/dev/null
	cmake --build build-test -j $(JOBS)
	scripts/lint.sh build-test
	cd build-test && ctest --output-on-failure -j 2 --timeout 600

lint:
	scripts/lint.sh build-test

format:
	scripts/lint.sh build-test --fix

clean:
	rm -rf build build-test
