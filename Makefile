# make install: a static (CGO_ENABLED=0), version-stamped berth in $(BINDIR).
# make binaries: static berth binaries for the hosts the agent runs on (docs/agent.md): berth
# finds bin/berth-linux-ARCH beside itself when a host's architecture differs from its own.
GO ?= go
BIN := bin
# The version is the nearest tag ("devel" before the first one); the commit is the short
# hash, "-dirty" for uncommitted changes. 'berth version' prints both.
VERSION ?= $(shell git describe --tags --dirty 2>/dev/null || echo devel)
COMMIT ?= $(shell git rev-parse --short=7 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# Where install puts berth: PREFIX/bin when PREFIX is given (make install PREFIX=/usr/local),
# else where 'go install' would (GOBIN, else GOPATH/bin).
GOBIN ?= $(shell $(GO) env GOBIN)
ifneq ($(PREFIX),)
BINDIR ?= $(PREFIX)/bin
else ifneq ($(GOBIN),)
BINDIR ?= $(GOBIN)
else
BINDIR ?= $(shell $(GO) env GOPATH)/bin
endif

.PHONY: all binaries install install-agents clean
all: binaries

binaries: $(BIN)/berth-linux-amd64 $(BIN)/berth-linux-arm64 $(BIN)/berth-agent-linux-amd64 $(BIN)/berth-agent-linux-arm64

# berth-agent-linux-ARCH is what berth uploads to hosts (provisioner/conn.AgentBinary): the
# agent alone, without the vSphere client and other operator-only code, so it stays small.
$(BIN)/berth-agent-linux-%: FORCE
	CGO_ENABLED=0 GOOS=linux GOARCH=$* $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/berth-agent

$(BIN)/berth-linux-%: FORCE
	CGO_ENABLED=0 GOOS=linux GOARCH=$* $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/berth

$(BIN)/berth: FORCE
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/berth

# install copies berth to BINDIR. On linux it is static, so it also serves as the agent on
# hosts of its own architecture.
install: $(BIN)/berth $(BIN)/berth-agent-linux-$(shell $(GO) env GOARCH)
	install -d '$(BINDIR)'
	install -m 0755 $(BIN)/berth '$(BINDIR)/berth'
	install -m 0755 $(BIN)/berth-agent-linux-$(shell $(GO) env GOARCH) '$(BINDIR)/'
	@echo "installed $(BINDIR)/berth: $$('$(BINDIR)/berth' version)"

# install-agents adds berth-linux-amd64 and berth-linux-arm64 beside berth, for fleets that
# mix architectures (an arm64 host managed from an amd64 laptop, or from a Mac).
install-agents: binaries
	install -d '$(BINDIR)'
	install -m 0755 $(BIN)/berth-linux-amd64 $(BIN)/berth-linux-arm64 $(BIN)/berth-agent-linux-amd64 $(BIN)/berth-agent-linux-arm64 '$(BINDIR)/'

FORCE:

clean:
	rm -rf $(BIN)
