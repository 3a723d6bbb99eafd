package billing

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"math/bits"
	"slices"
	"sync"

	"faktura/panel/core/settings"
)

// unit is what becomes one invoice: a customer's due contracts with one
// seller in one currency, of one subproject or (grouped per customer) of
// all its subprojects.
type unit struct {
	key      string
	customer int64
	grouped  bool
	planned  []int64 // the contracts the plan found due
}

// bucket is the run's unit of work claiming: the units whose key hashes
// to it.
type bucket struct {
	key       string // "<count>/<index>"
	units     []unit
	contracts int
}

// planRow is what the plan reads of a contract.
type planRow struct {
	ID         int64
	SellerID   int64
	CustomerID int64
	ProductID  int64
	Currency   string
	Subproject string
	NextDue    string
}

// plan reads the contracts due by the longest lead time, keeps those due
// by their own, and groups them into units, ordered by key.
func (s *Service) plan(ctx context.Context, r *run) ([]unit, error) {
	maxLead := LeadDays.Default
	for _, v := range settings.Values(r.snap, LeadDays) {
		maxLead = max(maxLead, v)
	}
	r.horizon = AddDays(r.day, maxLead).String()
	var err error
	if r.groups, err = s.newGroupCache(ctx, r.snap); err != nil {
		return nil, err
	}
	rows, err := s.db.Read(ctx).Raw(`SELECT id, seller_id, customer_id, product_id, currency, subproject, next_due FROM contracts
WHERE status = ? AND next_due <= ? AND included = ? ORDER BY seller_id, customer_id, subproject, id`, ContractActive, r.horizon, false).Rows()
	if err != nil {
		return nil, fmt.Errorf("find due contracts: %w", err)
	}
	defer rows.Close()
	byKey := map[string]*unit{}
	var order []*unit
	for rows.Next() {
		var c planRow
		if err := rows.Scan(&c.ID, &c.SellerID, &c.CustomerID, &c.ProductID, &c.Currency, &c.Subproject, &c.NextDue); err != nil {
			return nil, fmt.Errorf("read due contracts: %w", err)
		}
		due, err := r.dueBy(c.ID, c.SellerID, c.ProductID, c.CustomerID)
		if err != nil {
			return nil, err
		}
		if c.NextDue > due {
			continue
		}
		u, err := r.unitOf(c.SellerID, c.CustomerID, c.Currency, c.Subproject)
		if err != nil {
			return nil, err
		}
		if got := byKey[u.key]; got != nil {
			got.planned = append(got.planned, c.ID)
			continue
		}
		u.planned = []int64{c.ID}
		byKey[u.key] = &u
		order = append(order, &u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read due contracts: %w", err)
	}
	out := make([]unit, len(order))
	for i, u := range order {
		out[i] = *u
	}
	return out, nil
}

// dueBy is the last day a contract's next period may start on to be
// invoiced in this run: day plus its lead time.
func (r *run) dueBy(id, seller, product, customer int64) (string, error) {
	lead, err := settings.Lookup(r.snap, LeadDays, settings.Scope{Seller: itoa(seller), Plan: itoa(product), Customer: itoa(customer), Contract: itoa(id)})
	if err != nil {
		return "", err
	}
	return AddDays(r.day, lead.Value).String(), nil
}

// unitOf is the unit a contract belongs to.
func (r *run) unitOf(seller, customer int64, cur, subproject string) (unit, error) {
	grouped, err := r.groups.grouped(seller, customer)
	if err != nil {
		return unit{}, err
	}
	u := unit{customer: customer, grouped: grouped, key: fmt.Sprintf("%d/%d/%s", seller, customer, cur)}
	if !grouped {
		u.key += "/" + subproject
	}
	return u, nil
}

// groupCache decides, once per (seller, customer), whether the customer
// gets one invoice per customer: billing.grouping set for that customer
// wins, then the customer's billing profile, then the setting's plan,
// seller and panel levels.
type groupCache struct {
	snap    *settings.Snapshot
	profile map[int64]string // customer -> its profile's choice
	mu      sync.Mutex
	known   map[[2]int64]bool
}

func (s *Service) newGroupCache(ctx context.Context, snap *settings.Snapshot) (*groupCache, error) {
	g := &groupCache{snap: snap, profile: map[int64]string{}, known: map[[2]int64]bool{}}
	var rows []struct {
		TenantID        int64
		InvoiceGrouping string
	}
	if err := s.db.Read(ctx).Model(&Profile{}).Select("tenant_id, invoice_grouping").Where("invoice_grouping <> ''").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load grouping choices: %w", err)
	}
	for _, p := range rows {
		g.profile[p.TenantID] = p.InvoiceGrouping
	}
	return g, nil
}

func (g *groupCache) grouped(seller, customer int64) (bool, error) {
	k := [2]int64{seller, customer}
	g.mu.Lock()
	defer g.mu.Unlock()
	if v, ok := g.known[k]; ok {
		return v, nil
	}
	res, err := settings.Lookup(g.snap, Grouping, settings.Scope{Seller: itoa(seller), Customer: itoa(customer)})
	if err != nil {
		return false, err
	}
	choice := res.Value
	if p := g.profile[customer]; p != "" && res.From != settings.LevelCustomer {
		choice = p
	}
	g.known[k] = choice == GroupCustomer
	return g.known[k], nil
}

// bucketize hashes units into a power of two of buckets of one to two
// times size contracts each. The count and the hash depend only on the plan, so
// processes that planned alike name the same buckets.
func bucketize(units []unit, size int) []bucket {
	total := 0
	for _, u := range units {
		total += len(u.planned)
	}
	if total == 0 {
		return nil
	}
	// The largest power of two that leaves a bucket at least size
	// contracts: buckets of size to 2*size, worked in chunks of size.
	n := 1
	if want := total / size; want > 1 {
		n = 1 << (bits.Len(uint(want)) - 1)
	}
	bs := make([]bucket, n)
	for _, u := range units {
		h := fnv.New32a()
		h.Write([]byte(u.key))
		i := int(h.Sum32() % uint32(n))
		bs[i].units = append(bs[i].units, u)
		bs[i].contracts += len(u.planned)
	}
	out := bs[:0]
	for i, b := range bs {
		if len(b.units) == 0 {
			continue
		}
		b.key = fmt.Sprintf("%d/%d", n, i)
		out = append(out, b)
	}
	return out
}

// chunkUnits packs units into chunks of about size contracts, in key
// order; a unit is never split.
func chunkUnits(us []unit, size int) [][]unit {
	us = slices.Clone(us)
	slices.SortFunc(us, func(a, b unit) int { return cmp.Compare(a.key, b.key) })
	var out [][]unit
	var cur []unit
	n := 0
	for _, u := range us {
		if n > 0 && n+len(u.planned) > size {
			out = append(out, cur)
			cur, n = nil, 0
		}
		cur = append(cur, u)
		n += len(u.planned)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
