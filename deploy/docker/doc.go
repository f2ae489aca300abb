// Package docker holds the container image of aitdr (Dockerfile: a static
// binary on a distroless base). It has no code; its tests build the binary
// the way the Dockerfile does and check that it is static and that the
// image's entry point and settings match what the deployment files use.
package docker
