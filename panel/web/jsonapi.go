package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
)

// The JSON API's handler shapes. Each runs its guard first (when set;
// the module checks what is left), reads the :id and the body in that order
// (so an id outside the caller's scope is "not found" before any field
// error), calls the module with the caller and answers with the result.

// Get answers GET /things/:id with load's result.
func Get[T any](guard Guard, load func(ctx context.Context, c identity.Caller, id int64) (T, error)) echo.HandlerFunc {
	return JSON(guard, true, false, http.StatusOK, func(ctx context.Context, c identity.Caller, id int64, _ struct{}) (T, error) {
		return load(ctx, c, id)
	})
}

// Create answers POST /things: the body is an In, the reply call's
// result with 201 Created.
func Create[In, Out any](guard Guard, call func(ctx context.Context, c identity.Caller, in In) (Out, error)) echo.HandlerFunc {
	return JSON(guard, false, true, http.StatusCreated, IgnoreID(call))
}

// Change answers a change of /things/:id (PATCH, PUT, or a POST that
// adds to it) with status: the body is an In.
func Change[In, Out any](guard Guard, status int, call func(ctx context.Context, c identity.Caller, id int64, in In) (Out, error)) echo.HandlerFunc {
	return JSON(guard, true, true, status, call)
}

// ChangeOwn is Change on an object the caller must own for the change:
// own loads it first (outside the scope: not found; someone else's:
// forbidden), then guard checks the permission, then the body is read.
func ChangeOwn[In, Out any](own func(c echo.Context, id int64) error, guard Guard, status int,
	call func(ctx context.Context, c identity.Caller, id int64, in In) (Out, error)) echo.HandlerFunc {
	return JSON(func(c echo.Context) error {
		id, err := IDParam(c)
		if err == nil {
			err = own(c, id)
		}
		if err == nil {
			err = check(c, guard)
		}
		return err
	}, true, true, status, call)
}

// JSON is the shape they share, for the handlers that fit none of them:
// guard, then the :id (withID), then the body (withBody), then the call
// and its reply with status.
func JSON[In, Out any](guard Guard, withID, withBody bool, status int,
	call func(ctx context.Context, c identity.Caller, id int64, in In) (Out, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := check(c, guard); err != nil {
			return err
		}
		var id int64
		if withID {
			var err error
			if id, err = IDParam(c); err != nil {
				return err
			}
		}
		var in In
		if withBody {
			if err := Bind(c, &in); err != nil {
				return err
			}
		}
		v, err := call(c.Request().Context(), CallerOf(c), id, in)
		if err != nil {
			return err
		}
		return c.JSON(status, v)
	}
}

// All answers GET /things with every row list returns (short lists
// without paging: the catalog, packages, servers).
func All[T any](guard Guard, list func(ctx context.Context, c identity.Caller) ([]T, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := check(c, guard); err != nil {
			return err
		}
		rows, err := list(c.Request().Context(), CallerOf(c))
		if err != nil {
			return err
		}
		if rows == nil {
			rows = []T{}
		}
		return c.JSON(http.StatusOK, List[T]{Data: rows})
	}
}

// Paged answers GET /things one page at a time, newest first: filter
// reads the query (its problems are field errors), list loads the page,
// id names a row for the next cursor.
func Paged[F, T any](guard Guard, filter func(echo.Context) (F, error),
	list func(ctx context.Context, c identity.Caller, f F, p core.Page) ([]T, error), id func(T) int64) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := check(c, guard); err != nil {
			return err
		}
		pg, err := APIPage(c)
		if err != nil {
			return err
		}
		f, err := filter(c)
		if err != nil {
			return err
		}
		rows, err := list(c.Request().Context(), CallerOf(c), f, pg)
		if err != nil {
			return err
		}
		out := List[T]{Data: rows}
		if len(rows) == 0 {
			out.Data = []T{}
		} else {
			out.NextCursor = CursorAfter(len(rows), pg.Limit, id(rows[len(rows)-1]))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// Scoped adapts a module call that takes the caller's tenancy scope.
func Scoped[A, R any](f func(context.Context, tenancy.Scope, A) (R, error)) func(context.Context, identity.Caller, A) (R, error) {
	return func(ctx context.Context, c identity.Caller, a A) (R, error) { return f(ctx, c.Scope, a) }
}

// ScopedID adapts a module call on an object that takes the caller's
// tenancy scope.
func ScopedID[A, R any](f func(context.Context, tenancy.Scope, int64, A) (R, error)) func(context.Context, identity.Caller, int64, A) (R, error) {
	return func(ctx context.Context, c identity.Caller, id int64, a A) (R, error) { return f(ctx, c.Scope, id, a) }
}

// Guard refuses a request the caller may not make.
type Guard func(c echo.Context) error

// Perm lets callers holding p through.
func Perm(p identity.Perm) Guard { return func(c echo.Context) error { return Need(c, p) } }

// OperatorPerm lets the operator's users holding p through.
func OperatorPerm(p identity.Perm) Guard {
	return func(c echo.Context) error { return NeedOperator(c, p) }
}

// IgnoreID adapts a call on no object to JSON's shape.
func IgnoreID[In, Out any](f func(context.Context, identity.Caller, In) (Out, error)) func(context.Context, identity.Caller, int64, In) (Out, error) {
	return func(ctx context.Context, c identity.Caller, _ int64, in In) (Out, error) { return f(ctx, c, in) }
}

func check(c echo.Context, g Guard) error {
	if g == nil {
		return nil
	}
	return g(c)
}
