package clickhouse

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
)

// nativeReaderSize is at least ch-go's reader buffer (128 KiB), so that
// ch-go keeps this bufio.Reader as it is and Buffered tells the position.
const nativeReaderSize = 256 << 10

// minRevisionCustomSerialization is the protocol revision from which Native
// carries a serialization-kind byte after each column's type
// (DBMS_MIN_REVISION_WITH_CUSTOM_SERIALIZATION).
const minRevisionCustomSerialization = 54454

// blockInfo is the block info Native carries from revision 1 on: field 1
// is_overflows = false, field 2 bucket_num = -1, end of fields.
var blockInfo = []byte{1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0}

// reencodeNative rewrites Native output for a client's protocol revision.
// chDB writes Native as at revision 0: no block info, no serialization-kind
// byte per column. ClickHouse's HTTP interface writes it at the
// client_protocol_version the client sent, and clickhouse-go decodes it so.
// The column data itself is the same at both revisions (the kind byte says
// "default serialization"), so it is copied as it is: each column is decoded
// with clickhouse-go's column library only to find where its data ends,
// which keeps types clickhouse-go reads but cannot write (Nothing,
// Interval) intact. A type it cannot read is an error, as it would be for
// the client. The blocks are appended to dst.
func reencodeNative(dst, src []byte, revision uint64, sc column.ServerContext) ([]byte, error) {
	counter := &countingReader{r: bytes.NewReader(src)}
	br := bufio.NewReaderSize(counter, nativeReaderSize)
	reader := chproto.NewReader(br)
	pos := func() int { return counter.n - br.Buffered() }
	out := dst
	for block := 0; ; block++ {
		if _, err := br.Peek(1); err != nil {
			break
		}
		if revision > 0 {
			out = append(out, blockInfo...)
		}
		start := pos()
		cols, err := reader.UVarInt()
		if err != nil {
			return nil, fmt.Errorf("native block %d: read column count: %w", block, err)
		}
		rows, err := reader.UVarInt()
		if err != nil {
			return nil, fmt.Errorf("native block %d: read row count: %w", block, err)
		}
		if rows > 1<<32 || cols > 1<<20 {
			return nil, fmt.Errorf("native block %d: %d columns of %d rows is not a block", block, cols, rows)
		}
		out = append(out, src[start:pos()]...)
		for i := range cols {
			start := pos()
			name, err := reader.Str()
			if err != nil {
				return nil, fmt.Errorf("native block %d column %d: read name: %w", block, i, err)
			}
			typ, err := reader.Str()
			if err != nil {
				return nil, fmt.Errorf("native block %d column %s: read type: %w", block, name, err)
			}
			out = append(out, src[start:pos()]...)
			if revision >= minRevisionCustomSerialization {
				out = append(out, 0) // default serialization
			}
			if rows == 0 {
				continue
			}
			start = pos()
			col, err := column.Type(typ).Column(name, &sc)
			if err != nil {
				return nil, fmt.Errorf("native block %d column %s: %w", block, name, err)
			}
			if cs, ok := col.(column.CustomSerialization); ok {
				if err := cs.ReadStatePrefix(reader); err != nil {
					return nil, fmt.Errorf("native block %d column %s %s: read state prefix: %w", block, name, typ, err)
				}
			}
			if err := col.Decode(reader, int(rows)); err != nil {
				return nil, fmt.Errorf("native block %d column %s %s: %w", block, name, typ, err)
			}
			out = append(out, src[start:pos()]...)
		}
	}
	if end := pos(); end != len(src) {
		return nil, fmt.Errorf("native output: %d of %d bytes read", end, len(src))
	}
	return out, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
