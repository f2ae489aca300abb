package rightsize

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/aitdr/aitdr/schemas/clickhouse"
)

// storeChunk is the most rows one insert carries.
const storeChunk = 50000

// Store writes the report into database's rightsize_identities and
// rightsize_permissions tables, under its GeneratedAt, so that analysts
// query the same numbers. Storing the same report again changes nothing:
// the inserts carry tokens derived from the run time.
func Store(ctx context.Context, conn driver.Conn, database string, r *Report) error {
	run := r.GeneratedAt
	token := fmt.Sprintf("rightsize-%d", run.UnixMilli())
	ids := make([]clickhouse.RightsizeIdentity, 0, len(r.Identities))
	var perms []clickhouse.RightsizePermission
	part := 0
	flush := func() error {
		if len(perms) == 0 {
			return nil
		}
		if err := clickhouse.Insert(ctx, conn, database, fmt.Sprintf("%s-p%d", token, part), perms); err != nil {
			return fmt.Errorf("store the rightsizing run of %s: %w", run.Format("2006-01-02T15:04:05Z"), err)
		}
		part++
		perms = perms[:0]
		return nil
	}
	for i := range r.Identities {
		id := &r.Identities[i]
		ids = append(ids, clickhouse.RightsizeIdentity{
			RunTime: run, IdentityID: id.ID, Provider: id.Provider, Class: id.Class, Priority: int64(id.Priority),
			Granted: int64(id.Granted), Used: int64(id.Used), Unused: int64(id.Unused), UnusedShare: id.UnusedShare,
			SensitiveGranted: int64(id.SensitiveGranted), SensitiveUnused: int64(id.SensitiveUnused),
			Removable: int64(id.Removable), UsedNotGranted: int64(id.UsedNotGranted), Events: id.Events,
			ObservedDays: id.ObservedDays, WindowStart: r.WindowStart, Trusted: id.Trusted,
			UntrustedReason: id.UntrustedReason, Recommendation: id.Recommendation.Artifact,
		})
		for j := range id.Permissions {
			p := &id.Permissions[j]
			perms = append(perms, clickhouse.RightsizePermission{
				RunTime: run, IdentityID: id.ID, Provider: id.Provider, Permission: p.Name, Granted: p.Granted,
				Used: p.Used, Uses: p.Uses, LastUsed: p.LastUsed, Sensitive: p.Sensitive, AccessLevel: p.AccessLevel,
				Kept: p.Kept, GrantedResources: p.GrantedResources, UsedResources: p.UsedResources,
				GrantedVia: p.GrantedVia, Policies: p.Policies,
			})
			if len(perms) == storeChunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	if err := clickhouse.Insert(ctx, conn, database, token+"-i", ids); err != nil {
		return fmt.Errorf("store the rightsizing run of %s: %w", run.Format("2006-01-02T15:04:05Z"), err)
	}
	return nil
}
