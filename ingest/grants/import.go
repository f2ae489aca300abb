// Package grants imports permission snapshots into ClickHouse's
// permission_grants table: AWS IAM authorization details, Google Cloud IAM
// policies, Kubernetes RBAC, Okta and Entra application assignments and
// GitHub token grants, each read by its subpackage (aws, gcp, kubernetes,
// okta, entra, github) into the permissions every identity holds, named
// with the identity ids the event normalizers give.
//
// Import reads files once (aitdr grants import); Folder imports a folder
// on a schedule (aitdr grants watch, the grants: configuration section of
// aitdr run). A file's grants are stored with its snapshot time (the
// file's modification time unless one is given) and scope, so that
// re-importing a file changes nothing and each identity's current grants
// are those of its latest snapshot per scope. A bad part of a file (a
// malformed policy document, a dangling reference) is reported with the
// file and JSON path and skipped, and the rest imported; what the catalogs
// do not know is listed, never guessed.
package grants

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/aitdr/aitdr/ingest/grants/aws"
	"github.com/aitdr/aitdr/ingest/grants/entra"
	"github.com/aitdr/aitdr/ingest/grants/gcp"
	"github.com/aitdr/aitdr/ingest/grants/github"
	"github.com/aitdr/aitdr/ingest/grants/kubernetes"
	"github.com/aitdr/aitdr/ingest/grants/okta"
	"github.com/aitdr/aitdr/ingest/grants/snapshot"
	"github.com/aitdr/aitdr/schemas/clickhouse"
)

// ErrUnknownFormat is returned (wrapped in FileResult.Err) for a file that
// is none of the snapshot formats.
var ErrUnknownFormat = errors.New("not a permission snapshot aitdr reads (AWS authorization details, Google Cloud IAM policy, Kubernetes RBAC, Okta app users, Entra app role assignments, GitHub token grants)")

// Accounts are the account parts of identity ids that the snapshots do
// not carry: the same settings the event normalizers take
// (ingest.sources), so that both name an identity alike.
type Accounts struct {
	// OktaOrg is the Okta org domain; default: the host of the links.
	OktaOrg string
	// EntraTenant is the Entra tenant id; required for Entra files.
	EntraTenant string
	// GCPOrg is the Google Cloud organization of user identities; default:
	// the e-mail domain.
	GCPOrg string
	// K8sCluster is the Kubernetes cluster of RBAC files; default
	// "default".
	K8sCluster string
	// GitHubAccount is the GitHub enterprise or organization; required for
	// GitHub files.
	GitHubAccount string
}

// Importer reads snapshot files and stores their grants. It is safe for
// concurrent use.
type Importer struct {
	conn     driver.Conn
	database string
	accounts Accounts
	aws      *aws.Parser
}

// NewImporter returns an Importer writing into database over conn.
func NewImporter(conn driver.Conn, database string, accounts Accounts) *Importer {
	return &Importer{conn: conn, database: database, accounts: accounts, aws: aws.NewParser(nil)}
}

// FileResult is what importing one file did.
type FileResult struct {
	File         string
	Provider     string
	Format       string
	Scope        string
	SnapshotTime time.Time
	// Identities and Grants count what was stored.
	Identities int
	Grants     int
	// Problems are the parts skipped; Unknown what the catalogs lack.
	Problems     []snapshot.Problem
	Unknown      []snapshot.Unknown
	Unattributed int
	// Err is why nothing of the file was imported, or nil.
	Err error
}

// Files returns the snapshot files under paths: files as given, and the
// regular files of directories (walked recursively, hidden ones skipped),
// sorted.
func Files(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("grants: %w", err)
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && path != p {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("grants: walk %s: %w", p, err)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Parse reads the files (see Files) into snapshots without storing them.
// Entra service-principal lists are read first, to resolve the
// assignments of every file.
func (im *Importer) Parse(paths []string) ([]FileResult, []*snapshot.Snapshot, error) {
	files, err := Files(paths)
	if err != nil {
		return nil, nil, err
	}
	return im.parseFiles(files, nil)
}

// parseFiles reads files; others are only read for Entra service
// principals.
func (im *Importer) parseFiles(files, others []string) ([]FileResult, []*snapshot.Snapshot, error) {
	contents := make([][]byte, len(files))
	sps := entra.ServicePrincipals{}
	for _, f := range others {
		if b, err := os.ReadFile(f); err == nil && entra.Detect(b) {
			entra.ReadServicePrincipals(b, sps)
		}
	}
	results := make([]FileResult, len(files))
	for i, f := range files {
		results[i].File = f
		b, err := os.ReadFile(f)
		if err != nil {
			results[i].Err = fmt.Errorf("read %s: %w", f, err)
			continue
		}
		contents[i] = b
		if entra.Detect(b) {
			entra.ReadServicePrincipals(b, sps)
		}
	}
	snaps := make([]*snapshot.Snapshot, len(files))
	for i, f := range files {
		if contents[i] == nil {
			continue
		}
		s, err := im.parse(f, contents[i], sps)
		if err != nil {
			results[i].Err = err
			continue
		}
		snaps[i] = s
		r := &results[i]
		r.Provider, r.Format, r.Scope = s.Provider, s.Format, s.Scope
		r.Identities, r.Grants = len(s.Identities()), len(s.Grants)
		r.Problems, r.Unknown, r.Unattributed = s.Problems, s.Unknown, s.Unattributed
	}
	return results, snaps, nil
}

// parse detects a file's format and reads it.
func (im *Importer) parse(file string, data []byte, sps entra.ServicePrincipals) (*snapshot.Snapshot, error) {
	a := im.accounts
	switch {
	case aws.Detect(data):
		return im.aws.Parse(file, data)
	case gcp.Detect(data):
		return gcp.NewParser(gcp.WithOrg(a.GCPOrg)).Parse(file, data)
	case okta.Detect(data):
		return okta.NewParser(a.OktaOrg).Parse(file, data)
	case entra.Detect(data):
		return entra.NewParser(a.EntraTenant, sps).Parse(file, data)
	case github.Detect(data):
		return github.NewParser(a.GitHubAccount).Parse(file, data)
	case kubernetes.Detect(data):
		return kubernetes.NewParser(kubernetes.WithCluster(a.K8sCluster)).Parse(file, data)
	}
	return nil, fmt.Errorf("%s: %w", file, ErrUnknownFormat)
}

// insertChunk is the most grants one insert carries: an administrator's
// expanded grants are tens of thousands of rows.
const insertChunk = 50000

// Import reads the files (see Files) and stores every snapshot, with
// snapshotTime when it is not zero, else each file's modification time.
// A file that cannot be read or parsed is reported in its FileResult and
// skipped; the error is for a failed insert (the files after it are not
// stored) or a path that does not exist.
func (im *Importer) Import(ctx context.Context, paths []string, snapshotTime time.Time) ([]FileResult, error) {
	files, err := Files(paths)
	if err != nil {
		return nil, err
	}
	return im.importFiles(ctx, files, nil, snapshotTime)
}

// importFiles stores files; others are only read for Entra service
// principals.
func (im *Importer) importFiles(ctx context.Context, files, others []string, snapshotTime time.Time) ([]FileResult, error) {
	results, snaps, err := im.parseFiles(files, others)
	if err != nil {
		return nil, err
	}
	for i, s := range snaps {
		if s == nil {
			continue
		}
		at := snapshotTime
		if at.IsZero() {
			info, err := os.Stat(s.File)
			if err != nil {
				results[i].Err = fmt.Errorf("stat %s: %w", s.File, err)
				continue
			}
			at = info.ModTime()
		}
		at = at.UTC().Truncate(time.Millisecond)
		results[i].SnapshotTime = at
		if err := im.store(ctx, s, at); err != nil {
			return results, err
		}
	}
	return results, nil
}

// store inserts a snapshot's grants, in chunks whose insert tokens derive
// from the grants and the snapshot time: a retried or repeated import of
// the same file is dropped by ClickHouse.
func (im *Importer) store(ctx context.Context, s *snapshot.Snapshot, at time.Time) error {
	rows := make([]clickhouse.PermissionGrant, 0, min(len(s.Grants), insertChunk))
	h := sha256.New()
	flush := func(part int) error {
		if len(rows) == 0 {
			return nil
		}
		token := "grants-" + hex.EncodeToString(h.Sum(nil))[:32] + fmt.Sprintf("-%d", part)
		if err := clickhouse.Insert(ctx, im.conn, im.database, token, rows); err != nil {
			return fmt.Errorf("store the grants of %s: %w", s.File, err)
		}
		rows = rows[:0]
		return nil
	}
	fmt.Fprintf(h, "%s\x00%s\x00", s.Scope, at.Format(time.RFC3339Nano))
	part := 0
	for _, g := range s.Grants {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\n", g.IdentityID, g.Permission, g.Resource, g.GrantedVia, g.Policy)
		rows = append(rows, clickhouse.PermissionGrant{
			SnapshotTime: at, IdentityID: g.IdentityID, Provider: s.Provider, Permission: g.Permission,
			Resource: g.Resource, GrantedVia: g.GrantedVia, Policy: g.Policy, Scope: s.Scope,
			GrantedAs: g.GrantedAs, Condition: g.Condition, AccessLevel: g.AccessLevel, Sensitive: g.Sensitive,
		})
		if len(rows) == insertChunk {
			if err := flush(part); err != nil {
				return err
			}
			part++
		}
	}
	return flush(part)
}

// Log writes a result the way the folder import and the command report
// it: one line per file, one per problem and unknown name.
func Log(logger *slog.Logger, r FileResult) {
	if r.Err != nil {
		logger.Error("grants: file not imported", "file", r.File, "error", r.Err.Error())
		return
	}
	logger.Info("grants: imported", "file", r.File, "format", r.Format, "scope", r.Scope,
		"snapshot_time", r.SnapshotTime, "identities", r.Identities, "grants", r.Grants,
		"problems", len(r.Problems), "unknown", len(r.Unknown), "unattributed", r.Unattributed)
	for _, p := range r.Problems {
		logger.Warn("grants: skipped", "file", p.File, "path", p.Path, "cause", p.Cause)
	}
	for _, u := range r.Unknown {
		logger.Warn("grants: not in the catalog, not expanded", "what", u.What, "where", u.Path)
	}
}
