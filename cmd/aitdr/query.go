package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strings"
	"text/tabwriter"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/spf13/cobra"

	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

func newQueryCommand(g *globalFlags) *cobra.Command {
	var (
		list     bool
		params   []string
		format   string
		dsn      string
		database string
	)
	cmd := &cobra.Command{
		Use:   "query [NAME | SQL]",
		Short: "Run a ready query by name, or SQL, against ClickHouse",
		Long: `Query runs one of the ready queries (aitdr query --list shows them and their
parameters) or the SQL given, against clickhouse.dsn or, when that is
empty, the embedded engine's HTTP interface (clickhouse.embedded.listen,
127.0.0.1:8123 by default: "aitdr run" or "aitdr clickhouse serve" must be
running). Tables are read from the schema's database (aitdr) unless the DSN
names one.

--param name=value sets a query parameter ({name:Type} in the SQL); a ready
query's parameters left out take their defaults. The result is printed as a
table, JSON (an array of objects) or CSV with a header line.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if list {
				return listQueries(out)
			}
			if len(args) != 1 {
				return errors.New("give a ready query's name or SQL (aitdr query --list shows the names)")
			}
			if format != "table" && format != "json" && format != "csv" {
				return fmt.Errorf("--format %q: want table, json or csv", format)
			}
			values := map[string]string{}
			for _, p := range params {
				k, v, ok := strings.Cut(p, "=")
				if !ok || k == "" {
					return fmt.Errorf("--param %q: want name=value", p)
				}
				values[k] = v
			}
			sql := args[0]
			if q, ok := chschema.LookupQuery(args[0]); ok {
				var err error
				if values, err = q.Parameters(values); err != nil {
					return err
				}
				sql = q.SQL
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if dsn == "" {
				dsn = cfg.ClickHouse.DSN
			}
			if dsn == "" {
				dsn = "http://" + cfg.ClickHouse.Embedded.Listen
			}
			if database == "" {
				database = cfg.ClickHouse.Schema.Database
			}
			if database == "" {
				database = chschema.DefaultDatabase
			}
			if dsn, err = withDatabase(dsn, database); err != nil {
				return err
			}
			conn, err := chschema.Connect(dsn)
			if err != nil {
				return err
			}
			defer conn.Close()
			ctx := ch.Context(cmd.Context(), ch.WithParameters(values))
			rows, err := conn.Query(ctx, sql)
			if err != nil {
				return err
			}
			defer rows.Close()
			names := rows.Columns()
			types := rows.ColumnTypes()
			var table [][]any
			for rows.Next() {
				vals := make([]any, len(types))
				for i, ct := range types {
					vals[i] = reflect.New(ct.ScanType()).Interface()
				}
				if err := rows.Scan(vals...); err != nil {
					return err
				}
				for i, v := range vals {
					vals[i] = reflect.ValueOf(v).Elem().Interface()
				}
				table = append(table, vals)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			return printRows(out, format, names, table)
		},
	}
	cmd.Flags().BoolVar(&list, "list", false, "list the ready queries with their questions and parameters")
	cmd.Flags().StringArrayVar(&params, "param", nil, "a query parameter as name=value (repeatable)")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json or csv")
	cmd.Flags().StringVar(&dsn, "dsn", "", "ClickHouse DSN (default clickhouse.dsn, else the embedded engine's HTTP interface)")
	cmd.Flags().StringVar(&database, "database", "", "the database when the DSN names none (default clickhouse.schema.database, aitdr)")
	return cmd
}

// withDatabase returns dsn with database as its path unless it names one.
func withDatabase(dsn, database string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("clickhouse dsn: %w", err)
	}
	if strings.Trim(u.Path, "/") == "" {
		u.Path = "/" + database
	}
	return u.String(), nil
}

func listQueries(w io.Writer) error {
	for _, q := range chschema.Queries() {
		fmt.Fprintf(w, "%s\n  %s\n", q.Name, q.Question)
		for _, p := range q.Params {
			fmt.Fprintf(w, "  --param %s=%s  (%s) %s\n", p.Name, p.Default, p.Type, p.Doc)
		}
	}
	return nil
}

// printRows prints the result; over HTTP an empty result has no columns,
// and then a table or CSV is empty too.
func printRows(w io.Writer, format string, names []string, rows [][]any) error {
	if len(names) == 0 && format != "json" {
		return nil
	}
	switch format {
	case "json":
		objs := make([]json.RawMessage, 0, len(rows))
		for _, r := range rows {
			var b strings.Builder
			b.WriteByte('{')
			for i, v := range r {
				if i > 0 {
					b.WriteByte(',')
				}
				k, _ := json.Marshal(names[i])
				val, err := json.Marshal(v)
				if err != nil {
					return fmt.Errorf("column %s: %w", names[i], err)
				}
				b.Write(k)
				b.WriteByte(':')
				b.Write(val)
			}
			b.WriteByte('}')
			objs = append(objs, json.RawMessage(b.String()))
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(objs)
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(names); err != nil {
			return err
		}
		for _, r := range rows {
			if err := cw.Write(formatRow(r)); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(names, "\t"))
		for _, r := range rows {
			fmt.Fprintln(tw, strings.Join(formatRow(r), "\t"))
		}
		return tw.Flush()
	}
}

func formatRow(r []any) []string {
	out := make([]string, len(r))
	for i, v := range r {
		out[i] = formatValue(v)
	}
	return out
}

func formatValue(v any) string {
	switch x := v.(type) {
	case time.Time:
		if x.Nanosecond() == 0 {
			return x.UTC().Format(time.DateTime)
		}
		return x.UTC().Format("2006-01-02 15:04:05.000")
	case string:
		return x
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "NULL"
		}
		return formatValue(rv.Elem().Interface())
	}
	return fmt.Sprint(v)
}
