"""Personal data queued on a phone is encrypted at rest: a resident's report written down offline
is read straight out of IndexedDB (every stored value, binary parts decoded) and neither the
resident's phone number nor the report's text is found there; the key is a non-extractable
AES-GCM key of this user. Back online the report is sent in the clear as usual, and signing out
deletes the queue together with the key."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_offline_app import _installed, _until
from zhenwu.concerns.models import Category, Concern

pytestmark = pytest.mark.browser

PHONE_NUMBER = "13912345678"
TEXT = "村口路灯坏了三盏，晚上看不见路。"

# Everything stored in the database "zhenwu-offline", whatever its stores: strings as they are,
# binary values (ArrayBuffer, typed arrays, Blobs) decoded as UTF-8 and as Latin-1, and the keys'
# properties. A CryptoKey cannot be serialised, so its algorithm and extractability are reported.
READ_DB = """async () => {
  const names = (await indexedDB.databases()).map((d) => d.name);
  if (!names.includes("zhenwu-offline")) return { exists: false };
  const db = await new Promise((ok, fail) => {
    const r = indexedDB.open("zhenwu-offline"); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error);
  });
  const stores = Array.from(db.objectStoreNames);
  const out = { exists: true, stores, text: [], keys: [], rows: {} };
  const seen = async (v) => {
    if (v == null) return;
    if (typeof v === "string" || typeof v === "number") { out.text.push(String(v)); return; }
    if (v instanceof CryptoKey) { out.keys.push({ name: v.algorithm.name, extractable: v.extractable }); return; }
    let bytes = null;
    if (v instanceof ArrayBuffer) bytes = new Uint8Array(v);
    else if (ArrayBuffer.isView(v)) bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    else if (v instanceof Blob) bytes = new Uint8Array(await v.arrayBuffer());
    if (bytes) {
      out.text.push(new TextDecoder("utf-8").decode(bytes));
      out.text.push(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
      return;
    }
    for (const k of Object.keys(v)) { out.text.push(k); await seen(v[k]); }
  };
  for (const name of stores) {
    const rows = await new Promise((ok) => {
      const r = db.transaction(name).objectStore(name).getAll(); r.onsuccess = () => ok(r.result);
    });
    out.rows[name] = rows.length;
    for (const row of rows) await seen(row);
  }
  db.close();
  out.text = out.text.join("\\n");
  return out;
}"""


def test_a_queued_report_keeps_no_plaintext_phone_number_and_its_key_goes_at_sign_out(
        playwright, live_server, cast, browser_login, tmp_path):
    road = Category.objects.create(code="road", name="道路交通", default_department=cast.urban,
                                   response_limit_days=1, resolution_limit_days=10)
    phone, page = _installed(playwright, live_server, tmp_path / "profile", browser_login, cast.users.grid_worker, "/grid/")

    phone.set_offline(True)
    page.goto("/concerns/register/")
    page.get_by_label("诉求内容").fill(TEXT)
    page.get_by_label("诉求类别").select_option(str(road.pk))
    page.get_by_label("所在村(社区)或网格").select_option(str(cast.jiulong_grid.pk))
    page.get_by_label("诉求人姓名").fill("黎明")
    page.get_by_label("诉求人电话").fill(PHONE_NUMBER)
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已保存在本机")).to_be_visible()

    stored = page.evaluate(READ_DB)
    assert stored["exists"] and stored["rows"]["queue"] == 1
    assert stored["keys"] == [{"name": "AES-GCM", "extractable": False}]
    assert "report" in stored["text"]  # the record's own description is readable: the search works
    assert PHONE_NUMBER not in stored["text"] and "黎明" not in stored["text"] and "路灯" not in stored["text"]
    # Nor is it left in the form's draft (localStorage): the queued form starts afresh.
    drafts = page.evaluate("() => Object.keys(localStorage).map((k) => k + '=' + localStorage.getItem(k)).join('\\n')")
    assert "zhenwu-draft:concern-register" in drafts and PHONE_NUMBER not in drafts and "路灯" not in drafts
    # The 待发送 list still shows it, read through the key.
    page.goto("/offline/")
    expect(page.get_by_test_id("queued-record")).to_contain_text("代群众登记诉求")

    phone.set_offline(False)
    page.goto("/offline/")
    expect(page.locator("[data-queue-empty]")).to_be_visible(timeout=30_000)
    concern = Concern.objects.get()
    assert concern.reporter_phone == PHONE_NUMBER and concern.reporter_name == "黎明" and concern.text == TEXT

    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/accounts/login/**")
    _until(page, "async () => !(await indexedDB.databases()).some((d) => d.name === 'zhenwu-offline')")
    phone.close()
