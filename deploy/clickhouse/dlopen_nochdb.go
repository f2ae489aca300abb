//go:build nochdb

package clickhouse

import "errors"

// engineBuiltIn is false in builds with the nochdb tag: they cannot load
// libchdb, and link statically.
const engineBuiltIn = false

// errEngineLeftOut says why a nochdb build has no embedded engine.
var errEngineLeftOut = errors.New("this binary was built without the embedded engine (build tag nochdb): " +
	"set clickhouse.dsn to a ClickHouse server")

// librarySymbol is one function of libchdb to bind.
type librarySymbol struct {
	fptr any
	name string
}

// bindLibrary is never reached in a nochdb build (loadLibrary returns
// errEngineLeftOut first).
func bindLibrary(string, []librarySymbol) ([]string, error) { return nil, errEngineLeftOut }
