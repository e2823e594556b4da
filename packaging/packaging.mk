# Packaging targets, included by the Makefile (which defines VERSION and
# LDFLAGS from git describe). docs/releasing.md walks through a release.
#
#   make dist             release binaries for Linux and macOS, with checksums
#   make app              clawbridge.app, universal and ad hoc signed (macOS only)
#   make check-packaging  the packaging checks `make test` runs

DIST_PLATFORMS := linux/amd64 linux/arm64 darwin/arm64 darwin/amd64
APP := dist/clawbridge.app
# The oldest macOS the Go toolchain supports; also LSMinimumSystemVersion.
MACOS_MIN := 12.0
ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := .tools/actionlint-$(ACTIONLINT_VERSION)/actionlint
SHA256SUM := $(shell command -v sha256sum >/dev/null 2>&1 && echo sha256sum || echo 'shasum -a 256')

.PHONY: dist app check-packaging

# dist: everything Linux can build. The Linux binaries carry the tray (pure
# Go over D-Bus); the darwin ones are headless (no cgo, so no Cocoa tray):
# the translator, patcher and guard, for a Mac without Xcode tools. The
# universal app with the tray comes from `make app` on a Mac.
dist:
	mkdir -p dist
	rm -f dist/clawbridge-linux-* dist/clawbridge-darwin-* dist/SHA256SUMS
	set -e; for p in $(DIST_PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; \
	  echo "==> dist: $$os/$$arch"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch go build -trimpath -ldflags '$(LDFLAGS)' \
	    -o dist/clawbridge-$$os-$$arch ./cmd/clawbridge; \
	done
	cd dist && $(SHA256SUM) clawbridge-linux-* clawbridge-darwin-* >SHA256SUMS
	@echo "==> dist: $(VERSION) in dist/ (SHA256SUMS beside)"

# app: both Mac architectures with cgo (for the tray), joined by lipo into
# one binary in clawbridge.app, signed ad hoc. Developer ID signing and
# notarization are release steps (docs/releasing.md).
app:
	@if [ "$$(uname -s)" != Darwin ]; then \
	  echo "make app needs macOS: the tray is built with cgo against Cocoa, and lipo and codesign are Apple tools." >&2; \
	  echo "On Linux, make dist builds the headless darwin binaries." >&2; \
	  exit 1; \
	fi
	rm -rf $(APP) bin/app dist/clawbridge-macos-universal.zip
	mkdir -p bin/app $(APP)/Contents/MacOS $(APP)/Contents/Resources
	set -e; for arch in arm64 amd64; do \
	  echo "==> app: darwin/$$arch"; \
	  CGO_ENABLED=1 GOOS=darwin GOARCH=$$arch MACOSX_DEPLOYMENT_TARGET=$(MACOS_MIN) \
	    go build -trimpath -ldflags '$(LDFLAGS)' -o bin/app/clawbridge-$$arch ./cmd/clawbridge; \
	done
	lipo -create -output $(APP)/Contents/MacOS/clawbridge bin/app/clawbridge-arm64 bin/app/clawbridge-amd64
	bash packaging/macos/fill-info-plist.sh '$(VERSION)' >$(APP)/Contents/Info.plist
	plutil -lint $(APP)/Contents/Info.plist
	go run ./packaging/macos/mkicns -out $(APP)/Contents/Resources/clawbridge.icns
	codesign --force --sign - --timestamp=none $(APP)
	codesign --verify --strict --verbose=2 $(APP)
	cd dist && ditto -c -k --keepParent clawbridge.app clawbridge-macos-universal.zip
	@echo "==> app: $(APP) and dist/clawbridge-macos-universal.zip ($(VERSION))"

# check-packaging: Info.plist, the .icns, the Homebrew formula, the macOS
# workflow and `make dist`'s artifacts (packaging/check.sh says how).
check-packaging: $(ACTIONLINT)
	ACTIONLINT=$(ACTIONLINT) bash packaging/check.sh

# actionlint is a Go module, pinned and installed into the git-ignored .tools/.
$(ACTIONLINT):
	GOBIN=$(CURDIR)/$(dir $(ACTIONLINT)) go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
