# Static berth binaries for the hosts the agent runs on (docs/agent.md): berth finds
# bin/berth-linux-ARCH beside itself when a host's architecture differs from its own.
GO ?= go
BIN := bin
LDFLAGS := -s -w

.PHONY: all binaries clean
all: binaries

binaries: $(BIN)/berth-linux-amd64 $(BIN)/berth-linux-arm64

$(BIN)/berth-linux-%: FORCE
	CGO_ENABLED=0 GOOS=linux GOARCH=$* $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/berth

FORCE:

clean:
	rm -rf $(BIN)
