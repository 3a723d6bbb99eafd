package mail

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"gorm.io/gorm/clause"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/queue"
	"faktura/panel/core/secret"
	"faktura/panel/core/tenancy"
)

// Delivery states.
const (
	StatusQueued = "queued"
	StatusSent   = "sent"
	StatusFailed = "failed" // stopped after the last attempt; Retry sends it again
)

// Delivery is one message in the queue, with its log.
type Delivery struct {
	ID            int64      `json:"id"`
	IdemKey       string     `json:"-"`
	Line          string     `json:"-"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	LockedBy      *string    `json:"-"`
	LastError     string     `json:"last_error,omitempty"` // the server's answer to the last attempt
	TenantID      int64      `json:"tenant_id"`            // whose log it is in (the seller)
	TenantPath    string     `json:"-"`
	InvoiceID     *int64     `json:"invoice_id,omitempty"`
	Kind          string     `json:"kind"` // invoice, credit_note, password_reset, ...
	ToAddr        string     `json:"to"`
	FromName      string     `json:"from_name,omitempty"`
	ReplyTo       string     `json:"reply_to,omitempty"`
	Subject       string     `json:"subject"`
	BodyText      string     `json:"-"`
	BodyHTML      string     `json:"-"`
	Sealed        bool       `json:"-"` // the bodies are encrypted (they hold a secret, e.g. a reset link)
	Attach        string     `json:"-"` // JSON []AttachRef
	Lang          string     `json:"lang,omitempty"`
	MessageID     string     `json:"message_id"`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
}

// TableName implements gorm's Tabler.
func (Delivery) TableName() string { return "mail_deliveries" }

// QueueID implements queue.Item.
func (d Delivery) QueueID() int64 { return d.ID }

// AttachRef names a file a source makes at send time (the document
// archive's PDF of an invoice), so the queue holds no copies.
type AttachRef struct {
	Source string `json:"source"`
	Ref    string `json:"ref"`
}

// Source makes an attachment from its reference.
type Source func(ctx context.Context, ref string) (Attachment, error)

var mailQueue = queue.Spec{Table: "mail_deliveries", Line: "line", Pending: StatusQueued, Stopped: StatusFailed}

// attempts is how often a message is tried before it is marked failed.
const attempts = 6

// Outbox queues and sends mail.
type Outbox struct {
	db      *db.Handle
	clock   core.Clock
	sender  *Sender
	box     *secret.Box
	mu      sync.RWMutex
	sources map[string]Source
	host    string // for Message-IDs
	wake    chan struct{}
}

// NewOutbox returns the mail queue sending through sender; box seals the
// bodies of messages that carry a secret.
func NewOutbox(h *db.Handle, clock core.Clock, sender *Sender, box *secret.Box, host string) *Outbox {
	return &Outbox{db: h, clock: clock, sender: sender, box: box, sources: map[string]Source{}, host: cmp.Or(host, "faktura.invalid"),
		wake: make(chan struct{}, 1)}
}

// Enabled reports whether mail can go out at all.
func (o *Outbox) Enabled() bool { return o.sender.Enabled() }

// Source registers the maker of attachments named source.
func (o *Outbox) Source(name string, s Source) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sources[name] = s
}

func (o *Outbox) now() time.Time { return o.clock.Now().UTC().Truncate(time.Millisecond) }

// Queued is what Enqueue stores: the message, its key and its place.
type Queued struct {
	Key     string // once per key, however often it is queued
	Tenant  tenancy.Scope
	Invoice int64 // 0: none
	Kind    string
	Message Message
	Attach  []AttachRef
	Sealed  bool // encrypt the bodies at rest (they hold a secret)
}

// Enqueue stores a message under its key, in the caller's transaction
// when there is one; a key already stored adds nothing. It returns
// whether a new delivery was stored.
func (o *Outbox) Enqueue(ctx context.Context, q Queued) (bool, error) {
	if q.Key == "" || q.Message.To == "" || q.Kind == "" {
		return false, core.Invalid("mail", "a queued message needs a key, a recipient and a kind")
	}
	now := o.now()
	// Each message is its own line: one that fails holds back no other.
	d := Delivery{IdemKey: q.Key, Line: q.Key, Status: StatusQueued, NextAttemptAt: now, TenantID: q.Tenant.TenantID,
		TenantPath: q.Tenant.Path, Kind: q.Kind, ToAddr: q.Message.To, FromName: q.Message.FromName, ReplyTo: q.Message.ReplyTo,
		Subject: q.Message.Subject, BodyText: q.Message.Body, BodyHTML: q.Message.HTML, Lang: q.Message.Lang, CreatedAt: now, Sealed: q.Sealed}
	if q.Invoice != 0 {
		d.InvoiceID = &q.Invoice
	}
	if len(q.Attach) > 0 {
		b, _ := json.Marshal(q.Attach)
		d.Attach = string(b)
	}
	if q.Sealed {
		if o.box == nil {
			return false, errors.New("mail: a sealed message needs the secret key")
		}
		d.BodyText, d.BodyHTML = o.box.Seal([]byte(d.BodyText), "mail.body"), o.box.Seal([]byte(d.BodyHTML), "mail.html")
	}
	d.MessageID = "<" + strconv.FormatInt(now.UnixNano(), 36) + "." + hashKey(q.Key) + "@" + o.host + ">"
	res := o.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&d)
	if res.Error != nil {
		return false, fmt.Errorf("queue mail %s: %w", q.Key, res.Error)
	}
	if res.RowsAffected > 0 {
		db.AfterCommit(ctx, o.poke)
	}
	return res.RowsAffected > 0, nil
}

func hashKey(k string) string {
	h := fnv.New64a()
	h.Write([]byte(k))
	return strconv.FormatUint(h.Sum64(), 36)
}

func (o *Outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Deliveries lists the deliveries of an invoice (0: all) in the scope's
// subtree, newest first.
func (o *Outbox) Deliveries(ctx context.Context, scope tenancy.Scope, invoice int64, limit int) ([]Delivery, error) {
	var ds []Delivery
	q := o.db.Read(ctx).Omit("body_text", "body_html").Where("tenant_path LIKE ?", scope.Path+"%")
	if invoice != 0 {
		q = q.Where("invoice_id = ?", invoice)
	}
	err := q.Order("id DESC").Limit(cmp.Or(limit, 50)).Find(&ds).Error
	return ds, err
}

// Retry sends a failed delivery again now.
func (o *Outbox) Retry(ctx context.Context, scope tenancy.Scope, id int64) error {
	res := o.db.Conn(ctx).Model(&Delivery{}).Where("id = ? AND tenant_path LIKE ? AND status = ?", id, scope.Path+"%", StatusFailed).
		Updates(map[string]any{"status": StatusQueued, "attempts": 0, "next_attempt_at": o.now(), "locked_by": nil})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return core.E(core.ErrNotFound, "no failed mail delivery %d", id)
	}
	o.poke()
	return nil
}

// Worker sends queued mail.
type Worker struct {
	o   *Outbox
	q   *queue.Queue
	log *slog.Logger
}

// NewWorker returns a worker that identifies itself as node.
func (o *Outbox) NewWorker(node string, log *slog.Logger) *Worker {
	return &Worker{o: o, log: log, q: queue.New(o.db, mailQueue, node,
		queue.Policy{Lease: 5 * time.Minute, MaxAttempts: attempts, BackoffBase: 30 * time.Second, BackoffMax: 2 * time.Hour})}
}

// Run works until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	queue.Loop(ctx, w.o.wake, 10*time.Second, w.RunOnce, func(err error) { w.log.Error("mail", "err", err) })
}

// RunOnce sends the due messages (each outside any transaction, then
// records the result fenced by its lease) and returns how many it took.
// With mail not configured it takes none: they wait.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	if !w.o.sender.Enabled() {
		return 0, nil
	}
	ds, err := queue.Claim[Delivery](ctx, w.q, w.o.now(), 20)
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	for _, d := range ds {
		err := w.send(ctx, d)
		if err == nil {
			err = w.o.db.WithTx(ctx, func(ctx context.Context) error {
				if err := w.q.Fence(ctx, d.ID); err != nil {
					return err
				}
				set := map[string]any{"status": StatusSent, "sent_at": w.o.now(), "last_error": ""}
				if d.Sealed { // the secret is delivered: keep no copy
					set["body_text"], set["body_html"] = "", ""
				}
				return w.q.Finish(ctx, d.ID, set)
			})
			if err != nil && !errors.Is(err, queue.ErrLeaseLost) {
				// Sent, but not recorded: the next attempt sends it again
				// (the one duplicate a crash here can cause).
				w.log.Error("mail sent but not recorded", "delivery", d.ID, "err", err)
			}
			continue
		}
		f, ferr := w.q.Fail(ctx, d.ID, d.Attempts, err, w.o.now())
		if ferr != nil {
			return len(ds), ferr
		}
		w.log.Warn("mail not sent", "delivery", d.ID, "kind", d.Kind, "attempts", f.Attempts, "stopped", f.Stopped, "err", err)
	}
	return len(ds), nil
}

// send makes the message (attachments from their sources) and sends it.
func (w *Worker) send(ctx context.Context, d Delivery) error {
	m := Message{To: d.ToAddr, Subject: d.Subject, Body: d.BodyText, HTML: d.BodyHTML, Lang: d.Lang, FromName: d.FromName, ReplyTo: d.ReplyTo, MessageID: d.MessageID}
	if d.Sealed {
		text, err := w.o.box.Open(d.BodyText, "mail.body")
		if err != nil {
			return err
		}
		html, err := w.o.box.Open(d.BodyHTML, "mail.html")
		if err != nil {
			return err
		}
		m.Body, m.HTML = string(text), string(html)
	}
	if d.Attach != "" {
		var refs []AttachRef
		if err := json.Unmarshal([]byte(d.Attach), &refs); err != nil {
			return fmt.Errorf("attachments of delivery %d: %w", d.ID, err)
		}
		for _, r := range refs {
			w.o.mu.RLock()
			src := w.o.sources[r.Source]
			w.o.mu.RUnlock()
			if src == nil {
				return fmt.Errorf("no attachment source %q", r.Source)
			}
			a, err := src(ctx, r.Ref)
			if err != nil {
				return fmt.Errorf("attachment %s %s: %w", r.Source, r.Ref, err)
			}
			m.Attachments = append(m.Attachments, a)
		}
	}
	sctx, cancel := context.WithTimeout(ctx, 2*w.o.sender.o.Timeout)
	defer cancel()
	return w.o.sender.Send(sctx, m)
}
