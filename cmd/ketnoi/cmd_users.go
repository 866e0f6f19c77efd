package main

import (
	"fmt"
	"time"

	"ketnoi/corpus"
)

func init() {
	register(&command{
		name:    "users",
		summary: "người dùng đăng nhập trang cán bộ bằng tên và mật khẩu",
		usage:   "add --name TÊN --role staff|broker|admin | list [--json] | passwd TÊN | remove TÊN",
		help: `
Cán bộ và môi giới đăng nhập trang web (/can-bo) bằng tên và mật khẩu thay cho việc dán khóa API. Mỗi
người dùng có một vai trò như khóa API: staff (cán bộ), broker (môi giới) hoặc admin (quản trị).

  ketnoi users add --name lan.nguyen --role broker
      tạo người dùng; mật khẩu (ít nhất 10 ký tự) được hỏi hai lần trên terminal mà không hiện chữ,
      hoặc đọc từ dòng đầu của đầu vào chuẩn khi chạy trong kịch bản: echo "$MK" | ketnoi users add ...
  ketnoi users list
      liệt kê: mã, tên, vai trò, lúc tạo, lúc đặt mật khẩu
  ketnoi users passwd lan.nguyen
      đặt mật khẩu mới; các phiên đang đăng nhập bằng mật khẩu cũ kết thúc
  ketnoi users remove lan.nguyen
      xóa người dùng; các phiên của người đó kết thúc

Mật khẩu không bao giờ là đối số dòng lệnh (lộ trong lịch sử shell và danh sách tiến trình) và không được
lưu: tệp users.json cạnh keys.json chỉ giữ bản băm Argon2id. Lệnh chạy được khi máy chủ đang chạy; máy chủ
nhận thay đổi trong vòng một giây.`,
		run: runUsers,
	})
}

func runUsers(e *env, args []string) error {
	r, err := parseRoleCommand(e, "users", "tên đăng nhập (chữ, số, . _ - @)", "add, list, passwd hoặc remove", args)
	if err != nil {
		return err
	}
	name := r.name
	// passwd and remove take the name as an argument or as --name.
	target := func(sub string, rest []string) (string, error) {
		if err := r.only("name"); err != nil {
			return "", err
		}
		switch {
		case len(rest) == 1 && *name == "":
			return rest[0], nil
		case len(rest) == 0 && *name != "":
			return *name, nil
		}
		return "", usageError{fmt.Sprintf("users %s cần đúng một tên đăng nhập; xem ketnoi users list", sub)}
	}
	u := corpus.OpenUsers(e.data)
	ok, err := r.createOrList("add", "tên đặt bằng --name; mật khẩu được hỏi sau",
		func(name, role string) error { return usersAdd(e, u, name, role) },
		func(asJSON bool) error { return usersList(e, u, asJSON) })
	if ok {
		return err
	}
	switch sub, rest := r.sub, r.rest; sub {
	case "passwd":
		n, err := target(sub, rest)
		if err != nil {
			return err
		}
		pw, err := readPassword(e, "Mật khẩu mới của "+n+": ")
		if err != nil {
			return err
		}
		info, err := u.SetPassword(n, pw)
		if err != nil {
			return fmt.Errorf("đặt mật khẩu: %w", err)
		}
		fmt.Fprintf(e.stdout, "Đã đặt mật khẩu mới cho %s; các phiên đăng nhập bằng mật khẩu cũ kết thúc.\n", info.Name)
		return nil
	case "remove":
		n, err := target(sub, rest)
		if err != nil {
			return err
		}
		info, err := u.Remove(n)
		if err != nil {
			return fmt.Errorf("xóa người dùng: %w", err)
		}
		fmt.Fprintf(e.stdout, "Đã xóa người dùng %s (vai trò %s); các phiên của người này kết thúc.\n", info.Name, info.Role)
		return nil
	default:
		return usageError{fmt.Sprintf("users không có lệnh con %q; dùng add, list, passwd hoặc remove", sub)}
	}
}

func usersAdd(e *env, u *corpus.Users, name, roleName string) error {
	role, err := nameAndRole("users add", name, roleName, "tên đăng nhập")
	if err != nil {
		return err
	}
	// Refuse a bad name before asking for a password that would be thrown away.
	if err := corpus.CheckUserName(name); err != nil {
		return usageError{err.Error()}
	}
	pw, err := readPassword(e, "Mật khẩu cho "+name+" (ít nhất 10 ký tự, không hiện khi gõ): ")
	if err != nil {
		return err
	}
	info, err := u.Add(name, role, pw)
	if err != nil {
		return fmt.Errorf("tạo người dùng: %w", err)
	}
	fmt.Fprintf(e.stdout, "Đã tạo người dùng %s (mã %s), vai trò %s (%s). Đăng nhập tại /can-bo/dang-nhap.\n",
		info.Name, info.ID, info.Role, info.Role.Label())
	return nil
}

// userJSON is one user in `ketnoi users list --json`.
type userJSON struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Role        corpus.Role `json:"role"`
	Created     time.Time   `json:"created_at"`
	PasswordSet time.Time   `json:"password_set_at"`
}

func usersList(e *env, u *corpus.Users, asJSON bool) error {
	users, err := u.List()
	if err != nil {
		return err
	}
	items := make([]userJSON, 0, len(users))
	var rows []string
	for _, ui := range users {
		items = append(items, userJSON{ID: ui.ID, Name: ui.Name, Role: ui.Role, Created: ui.Created, PasswordSet: ui.PasswordSet})
		rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t%s\t%s", ui.ID, ui.Name, ui.Role, listTime(ui.Created), listTime(ui.PasswordSet)))
	}
	return printList(e, asJSON, items, "Chưa có người dùng nào. Tạo: ketnoi users add --name TÊN --role staff",
		"MÃ\tTÊN\tVAI TRÒ\tTẠO LÚC\tĐẶT MẬT KHẨU LÚC", rows, fmt.Sprintf("%d người dùng.", len(users)))
}
