# miniauth image: the server (the entrypoint) and the WeChat simulator /usr/local/bin/wxmock.
# No configuration or secret is baked in: give MINIAUTH_* variables at run time (see
# docker-compose.yml).
#
#   docker build --build-arg VERSION="$(git describe --tags --always)" -t miniauth .

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# timetzdata: the final image has no zoneinfo of its own.
RUN CGO_ENABLED=0 go build -trimpath -tags timetzdata \
        -ldflags="-s -w -X main.version=${VERSION}" \
        -o /out/ ./cmd/miniauth ./cmd/wxmock
# A minimal root file system for the final image: the non-root user and a /tmp.
RUN mkdir -p /rootfs/etc /rootfs/tmp \
    && chmod 1777 /rootfs/tmp \
    && echo 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' >/rootfs/etc/passwd \
    && echo 'nonroot:x:65532:' >/rootfs/etc/group

FROM scratch
COPY --from=build /rootfs/ /
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/miniauth /out/wxmock /usr/local/bin/
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/miniauth"]
CMD ["serve"]
