# syntax=docker/dockerfile:1
#
# pdemu in a container: a static binary on an empty image, as a non-root
# user, listening on 0.0.0.0:8787. docs/install.md says how to build and
# run it; cmd/pdemu/static_test.go builds the binary with the flags below
# and runs it as this image would (uid 65532, empty environment, a
# read-only working directory), since the image itself is not built by the
# tests.
#
#   docker build -t pdemu .
#   docker run --rm -p 8787:8787 -e PDEMU_CONTROL_TOKEN=choose-a-token pdemu

# The builder runs on the build machine's platform and cross-compiles for
# the target's, which Go does without emulation. go.mod says go 1.26.0.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src

# Modules first, so that a change to the source does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
ARG TARGETOS
ARG TARGETARCH
# VERSION, when given (docker build --build-arg VERSION=$(git describe --always --dirty)),
# is what `pdemu version` and GET /_emulator/health report; .git is not in
# the build context, so the Go tool stamps no revision.
ARG VERSION=
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/pdemu ./cmd/pdemu

# What the final image needs beside the binary: CA certificates, for the
# Connect proxy to reach an https upstream (--proxy-allow-host), and a /tmp
# and a /data the non-root user may write (--state-file /data/state.json,
# --export-on-exit /data/state.json with a volume mounted there).
RUN mkdir -p /out/tmp /out/data && chmod 1777 /out/tmp && chown 65532:65532 /out/data

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tmp /tmp
COPY --from=build /out/data /data
COPY --from=build /out/pdemu /pdemu

# nonroot, as distroless images number it; the image has no /etc/passwd.
USER 65532:65532
EXPOSE 8787

# pdemu listens beyond loopback here, so its control plane (/_emulator/)
# requires a token: pass PDEMU_CONTROL_TOKEN (docker run -e), or pdemu
# generates one and prints it with the export lines (docker logs). The
# health check needs no token either way. PIPEDREAM_BASE_URL is printed as
# http://127.0.0.1:8787;
# set PDEMU_ADVERTISE_URL when clients reach it by another URL (every
# serve flag has its PDEMU_<FLAG> variable):
#   docker run -e PDEMU_ADVERTISE_URL=http://pdemu:8787 ... pdemu
ENTRYPOINT ["/pdemu"]
CMD ["serve", "--addr", "0.0.0.0:8787"]

HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/pdemu", "healthcheck"]
