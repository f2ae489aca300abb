package clickhouse

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/ClickHouse/ch-go/compress"
	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// This file undoes the compression of request bodies and applies the one a
// client asks for to results: HTTP Content-Encoding (gzip, deflate, br,
// zstd, lz4 bodies; gzip, deflate, br, zstd results) and ClickHouse's own
// compressed block format (decompress=1 for bodies, compress=1 for results,
// LZ4 or ZSTD as network_compression_method says), which clickhouse-go uses
// with Compression LZ4 or ZSTD.

// readBody reads the request body into buf (which may already hold the
// query text), undoing Content-Encoding and, when decompress is set,
// ClickHouse's block compression. At most limit bytes of decoded body are
// accepted; the raw body must already be bounded by http.MaxBytesReader.
func readBody(buf *bytes.Buffer, body io.Reader, contentEncoding string, decompress bool, limit int64) *Exception {
	var r io.Reader = body
	enc := strings.ToLower(strings.TrimSpace(contentEncoding))
	switch enc {
	case "", "identity":
	case "gzip", "x-gzip":
		gz, err := gzip.NewReader(body)
		if err != nil {
			return bodyError(err, "gzip")
		}
		defer gz.Close()
		r = gz
	case "deflate":
		zr, err := zlib.NewReader(body)
		if err != nil {
			return bodyError(err, "deflate")
		}
		defer zr.Close()
		r = zr
	case "br":
		r = brotli.NewReader(body)
	case "zstd":
		zr, err := zstd.NewReader(body, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(limit)+1))
		if err != nil {
			return bodyError(err, "zstd")
		}
		defer zr.Close()
		r = zr
	case "lz4":
		r = lz4.NewReader(body)
	default:
		return newException(codeUnsupportedMediaType, "Unsupported Content-Encoding '%s': the embedded engine reads gzip, deflate, br, zstd and lz4", printable(enc))
	}
	if decompress {
		r = blockReader{compress.NewReader(r)}
		if enc == "" {
			enc = "ClickHouse block"
		}
	}
	start := buf.Len()
	if _, err := buf.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return bodyError(err, enc)
	}
	if int64(buf.Len()-start) > limit {
		return tooLarge(limit)
	}
	return nil
}

// blockReader reads ClickHouse's compressed block format, reporting the end
// of the body between two blocks as io.EOF itself (ch-go wraps it, and
// bytes.Buffer.ReadFrom stops only on io.EOF). A body cut inside a block
// stays an error.
type blockReader struct{ r io.Reader }

func (b blockReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && errors.Is(err, io.EOF) {
		err = io.EOF
	}
	return n, err
}

// bodyError turns a failure to read or decode the body into an Exception.
func bodyError(err error, encoding string) *Exception {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return tooLarge(tooBig.Limit)
	}
	if encoding != "" {
		return newException(codeCannotDecompress, "Cannot decompress the %s request body: %s", encoding, printable(err.Error()))
	}
	return newException(codeCannotReadAllData, "Cannot read the request body: %s", printable(err.Error()))
}

// tooLarge is the answer to a body over MaxBodySize.
func tooLarge(limit int64) *Exception {
	return newException(codeQueryIsTooLarge, "The request body is larger than max_body_size (%d bytes)", limit)
}

// httpEncoding picks the Content-Encoding of a result from Accept-Encoding:
// gzip, deflate, br or zstd, in that order of preference; "" for none.
func httpEncoding(acceptEncoding string) string {
	offered := map[string]bool{}
	for _, part := range strings.Split(acceptEncoding, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				continue
			}
		}
		offered[name] = true
	}
	for _, enc := range []string{"gzip", "deflate", "br", "zstd"} {
		if offered[enc] {
			return enc
		}
	}
	return ""
}

// writeCloser is an io.WriteCloser whose Close flushes without closing the
// writer below.
type writeCloser interface {
	io.Writer
	Close() error
}

// nopWriteCloser adds a no-op Close to a writer.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// newHTTPEncoder wraps w with the Content-Encoding enc at zlib level
// (1..9, for gzip and deflate).
func newHTTPEncoder(w io.Writer, enc string, level int) (writeCloser, error) {
	switch enc {
	case "gzip":
		return gzip.NewWriterLevel(w, level)
	case "deflate":
		return zlib.NewWriterLevel(w, level)
	case "br":
		return brotli.NewWriterLevel(w, brotli.DefaultCompression), nil
	case "zstd":
		return zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
	case "":
		return nopWriteCloser{w}, nil
	}
	return nil, fmt.Errorf("unknown content encoding %q", enc)
}

// blockSize is how much data one compressed block of compress=1 holds, as
// ClickHouse's max_compress_block_size.
const blockSize = 1 << 20

// blockWriter writes ClickHouse's compressed block format (compress=1).
type blockWriter struct {
	w   io.Writer
	c   *compress.Writer
	buf []byte
}

// newBlockWriter compresses with the network_compression_method setting's
// codec: LZ4 (the default), ZSTD or NONE.
func newBlockWriter(w io.Writer, method string) (*blockWriter, *Exception) {
	var m compress.Method
	switch strings.ToUpper(strings.TrimSpace(method)) {
	case "", "LZ4":
		m = compress.LZ4
	case "LZ4HC":
		m = compress.LZ4HC
	case "ZSTD":
		m = compress.ZSTD
	case "NONE":
		m = compress.None
	default:
		return nil, newException(codeUnknownCompressionMethod, "Unknown network_compression_method '%s'", printable(method))
	}
	return &blockWriter{w: w, c: compress.NewWriter(compress.LevelZero, m)}, nil
}

// Write buffers p, compressing each full block.
func (b *blockWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		take := min(len(p), blockSize-len(b.buf))
		b.buf = append(b.buf, p[:take]...)
		p = p[take:]
		if len(b.buf) == blockSize {
			if err := b.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (b *blockWriter) flush() error {
	if len(b.buf) == 0 {
		return nil
	}
	if err := b.c.Compress(b.buf); err != nil {
		return fmt.Errorf("compress block: %w", err)
	}
	b.buf = b.buf[:0]
	_, err := b.w.Write(b.c.Data)
	return err
}

// Close writes the last block; the writer below stays open.
func (b *blockWriter) Close() error { return b.flush() }
