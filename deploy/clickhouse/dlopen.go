//go:build !nochdb

package clickhouse

import "github.com/ebitengine/purego"

// engineBuiltIn says this build can load libchdb. Builds with the nochdb tag
// leave the loader out, so that the binary links statically (purego's
// dynamic loading needs the system's dynamic linker): container images of
// the stages, which use a ClickHouse server through clickhouse.dsn.
const engineBuiltIn = true

// errEngineLeftOut is returned only by nochdb builds.
var errEngineLeftOut error

// librarySymbol is one function of libchdb to bind: a pointer to a Go
// function variable and the C symbol's name.
type librarySymbol struct {
	fptr any
	name string
}

// bindLibrary opens the shared library at path and binds each symbol it
// has to its function variable; it returns the names of the symbols the
// library lacks.
func bindLibrary(path string, syms []librarySymbol) ([]string, error) {
	handle, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, s := range syms {
		sym, err := purego.Dlsym(handle, s.name)
		if err != nil || sym == 0 {
			missing = append(missing, s.name)
			continue
		}
		purego.RegisterFunc(s.fptr, sym)
	}
	return missing, nil
}
