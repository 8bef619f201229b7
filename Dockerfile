# flowgate in a container: the binary (with the editor embedded) on a
# distroless base, running as a non-root user.
#
#   docker build -t flowgate .
#   docker run -p 1880:1880 -e FLOWGATE_ADMIN_TOKEN=... -v $PWD/data:/data flowgate
#
# The flows file lives in /data (a volume): deploys rewrite it, as Node-RED
# does with its flows file.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin flowgate \
    && mkdir -p /out/data \
    && cp target/release/flowgate /out/flowgate \
    && cp flows/ignite-jwt.json /out/data/flows.json

# glibc and libgcc only: flowgate uses rustls, and its JWT crypto (RustCrypto
# and AWS-LC) is linked in statically; no OpenSSL.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/flowgate /usr/local/bin/flowgate
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot
WORKDIR /data
EXPOSE 1880
# Listens on every interface inside the container, so the admin API needs
# FLOWGATE_ADMIN_TOKEN (flowgate refuses to start without one).
# The command line follows the binary: a Kubernetes `args:` list replaces
# CMD whole (deploy/kubernetes/flowgate.yaml adds the cluster flags).
ENTRYPOINT ["/usr/local/bin/flowgate"]
CMD ["run", "/data/flows.json", "--host", "0.0.0.0"]
