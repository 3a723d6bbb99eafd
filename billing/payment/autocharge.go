package payment

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm/clause"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/tenancy"
)

// Method is a payment method a customer saved with a seller's gateway;
// with AutoCharge on, invoices falling due are charged to it.
type Method struct {
	ID               int64     `json:"id"`
	SellerID         int64     `json:"seller_id"`
	CustomerID       int64     `json:"customer_id"`
	CustomerPath     string    `json:"-"`
	Gateway          string    `json:"gateway"`
	ProviderCustomer string    `json:"-"`
	ProviderMethod   string    `json:"-"`
	Label            string    `json:"label"`
	AutoCharge       bool      `json:"auto_charge"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// TableName is the table's name.
func (Method) TableName() string { return "payment_methods" }

// saveMethod keeps the method a payer saved (with its consent to be
// charged automatically), one per seller, customer and gateway.
func (s *Service) saveMethod(ctx context.Context, a Attempt, ev Event) error {
	now := s.now()
	m := Method{SellerID: a.SellerID, CustomerID: a.CustomerID, CustomerPath: a.CustomerPath, Gateway: a.Gateway, ProviderCustomer: ev.SavedCustomer,
		ProviderMethod: ev.SavedMethod, Label: ev.MethodLabel, AutoCharge: true, CreatedAt: now, UpdatedAt: now}
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "seller_id"}, {Name: "customer_id"}, {Name: "gateway"}},
		DoUpdates: clause.AssignmentColumns([]string{"provider_customer", "provider_method", "label", "auto_charge", "updated_at"}),
	}).Create(&m).Error
	if err != nil {
		return fmt.Errorf("save payment method: %w", err)
	}
	return s.audit.Record(ctx, audit.Entry{Action: "payment.method.save", ObjectType: "payment_method", ObjectID: a.Gateway,
		TenantID: a.CustomerID, TenantPath: a.CustomerPath, After: map[string]any{"seller_id": a.SellerID, "label": ev.MethodLabel, "auto_charge": true}})
}

// Methods lists the saved methods of customerID in the caller's subtree.
func (s *Service) Methods(ctx context.Context, scope tenancy.Scope, customerID int64) ([]Method, error) {
	var out []Method
	if !scope.Valid() {
		return out, nil
	}
	err := s.db.Read(ctx).Scopes(scope.PathColumn("customer_path")).Where("customer_id = ?", customerID).Order("id").Find(&out).Error
	return out, err
}

// ForgetMethod removes a saved method: only its customer (the consent is
// the customer's) or the seller it was saved with.
func (s *Service) ForgetMethod(ctx context.Context, scope tenancy.Scope, id int64) error {
	var m Method
	err := s.db.Read(ctx).Scopes(scope.PathColumn("customer_path")).Where("id = ?", id).Take(&m).Error
	if err != nil || !scope.Valid() {
		return core.E(core.ErrNotFound, "payment method %d not found", id)
	}
	if scope.TenantID != m.CustomerID && scope.TenantID != m.SellerID {
		return core.E(core.ErrForbidden, "payment method %d is another's", id)
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.db.Conn(ctx).Where("id = ?", id).Delete(&Method{}).Error; err != nil {
			return fmt.Errorf("forget payment method %d: %w", id, err)
		}
		return s.audit.Record(ctx, audit.Entry{Action: "payment.method.forget", ObjectType: "payment_method", ObjectID: strconv.FormatInt(id, 10),
			TenantID: m.CustomerID, TenantPath: m.CustomerPath, Before: map[string]any{"gateway": m.Gateway, "label": m.Label}})
	})
}

// AutoCharge charges each open invoice due on or before day to its
// customer's saved method, once per invoice and day: the attempt is
// recorded (its unique day keeps a re-run from charging again), the
// gateway called outside any transaction, the outcome applied as an
// event. It returns how many it charged and how many failed.
func (s *Service) AutoCharge(ctx context.Context, day core.Date) (charged, failed int64, err error) {
	var ms []Method
	if err := s.db.Read(ctx).Where("auto_charge = ?", true).Order("id").Find(&ms).Error; err != nil {
		return 0, 0, fmt.Errorf("read saved methods: %w", err)
	}
	for _, m := range ms {
		var invs []billing.Invoice
		err := s.db.Read(ctx).Where("seller_id = ? AND customer_id = ? AND kind = ? AND status IN ? AND due_date <= ?", m.SellerID, m.CustomerID, billing.DocInvoice,
			[]billing.InvoiceStatus{billing.InvoiceStatusFinalized, billing.InvoiceStatusPartiallyPaid, billing.InvoiceStatusOverdue}, day.String()).
			Order("due_date, id").Find(&invs).Error
		if err != nil {
			return charged, failed, fmt.Errorf("read due invoices: %w", err)
		}
		for _, inv := range invs {
			ok, err := s.charge(ctx, m, inv, day)
			switch {
			case err != nil && !errors.Is(err, errCharged):
				return charged, failed, err
			case err != nil:
			case ok:
				charged++
			default:
				failed++
			}
		}
	}
	return charged, failed, nil
}

var errCharged = errors.New("charged already today")

// charge charges one invoice; false when the provider declined.
func (s *Service) charge(ctx context.Context, m Method, inv billing.Invoice, day core.Date) (bool, error) {
	if inv.OpenMinor() <= 0 {
		return false, errCharged
	}
	g, err := s.gateway(ctx, m.SellerID, m.Gateway)
	if err != nil {
		return false, nil // the seller turned the gateway off: nothing to charge with
	}
	c, ok := g.(Charger)
	if !ok {
		return false, nil
	}
	d := day.String()
	now := s.now()
	a := Attempt{SellerID: m.SellerID, CustomerID: m.CustomerID, CustomerPath: m.CustomerPath, InvoiceID: inv.ID, Gateway: m.Gateway,
		AmountMinor: inv.OpenMinor(), Currency: inv.Currency, Status: AttemptStarted, ChargeDay: &d, CreatedAt: now, UpdatedAt: now}
	var seen int64
	if err := s.db.Conn(ctx).Model(&Attempt{}).Where("invoice_id = ? AND charge_day = ?", inv.ID, d).Count(&seen).Error; err != nil {
		return false, fmt.Errorf("read charges of invoice %d: %w", inv.ID, err)
	}
	if seen > 0 {
		return false, errCharged
	}
	if err := s.db.Conn(ctx).Create(&a).Error; db.IsUniqueViolation(err) {
		return false, errCharged // another run recorded the day's charge first
	} else if err != nil {
		return false, fmt.Errorf("record charge of invoice %d: %w", inv.ID, err)
	}
	number := ""
	if inv.Number != nil {
		number = *inv.Number
	}
	ev, err := c.Charge(ctx, ChargeRequest{Key: a.Key(), AmountMinor: a.AmountMinor, Currency: a.Currency, Description: "Invoice " + number,
		ProviderCustomer: m.ProviderCustomer, ProviderMethod: m.ProviderMethod})
	if err != nil {
		return false, s.db.WithTx(ctx, func(ctx context.Context) error { return s.failAttempt(ctx, a, err.Error()) })
	}
	ev.Key = a.Key()
	if err := s.db.WithTx(ctx, func(ctx context.Context) error { return s.apply(ctx, a.Gateway, a.SellerID, ev) }); err != nil {
		return false, err
	}
	return ev.Kind == EventSucceeded || ev.Kind == EventPending, nil
}

// AutoChargeStep is payment.autocharge in the daily run.
type AutoChargeStep struct{ S *Service }

// Name implements automation.Step.
func (AutoChargeStep) Name() string { return "payment.autocharge" }

// Run implements automation.Step.
func (st AutoChargeStep) Run(ctx context.Context, day core.Date) (map[string]int64, error) {
	ok, bad, err := st.S.AutoCharge(ctx, day)
	return map[string]int64{"charged": ok, "declined": bad}, err
}
