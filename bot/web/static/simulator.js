/* LINE simulator: several LINE users side by side. Vanilla JS, no build step.
 *
 * Every tap or message goes to POST /simulator/api/send, which builds a LINE webhook event,
 * signs it and posts it to /callback. The chat shows what the bot sent to the fake LINE API
 * (GET /simulator/api/messages), polled every 1.5 s; each poll first runs the outbox once
 * (POST /simulator/api/dispatch) so pushes and multicasts appear without waiting.
 */
(function () {
  "use strict";

  const DATA = JSON.parse(document.getElementById("sim-data").textContent);
  const API = DATA.api;
  const HEADER = DATA.header;
  const MAX_PANES = 4;
  const POLL_MS = 1500;

  const users = new Map(); // id -> user
  const panes = []; // open Pane objects, left to right

  // --- small helpers ------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c == null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  async function api(path, body, opts) {
    const init = { method: body === undefined ? "GET" : "POST", headers: {} };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    if (init.method === "POST") init.headers[HEADER] = "1";
    const res = await fetch(API + path, Object.assign(init, opts || {}));
    let json = null;
    try { json = await res.json(); } catch (e) { /* not JSON (e.g. 413) */ }
    if (!res.ok) {
      const msg = (json && json.error) || (res.status === 413 ? "ファイルが大きすぎます（8MBまで）" : "HTTP " + res.status);
      throw new Error(msg);
    }
    return json;
  }

  let toastTimer = null;
  function toast(text, bad) {
    let t = document.getElementById("toast");
    if (!t) { t = el("div", { id: "toast", role: "status" }); document.body.append(t); }
    t.textContent = text;
    t.className = "toast show" + (bad ? " bad" : "");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.className = "toast"; }, 3500);
  }

  function linkify(text) {
    const out = [];
    const re = /https?:\/\/[^\s「」（）()<>]+/g;
    let last = 0, m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) out.push(text.slice(last, m.index));
      out.push(el("a", { href: m[0], target: "_blank", rel: "noopener", text: m[0] }));
      last = m.index + m[0].length;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  }

  function safeUrl(u) {
    return typeof u === "string" && /^(https?:|\/)/.test(u) ? u : "";
  }

  function userLabel(u) {
    return [u.association, u.block, u.label].filter(Boolean).join("・");
  }

  function channelText(u) {
    return u.channel ? "チャネル: " + u.channel : "";
  }

  function humanSize(n) {
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
    return (n / 1024 / 1024).toFixed(1) + " MB";
  }

  const VIA = { reply: "返信", push: "プッシュ", multicast: "マルチキャスト" };

  // --- Flex rendering -----------------------------------------------------------------------
  const FONT = { xxs: 11, xs: 13, sm: 14, md: 16, lg: 19, xl: 22, xxl: 29, "3xl": 35, "4xl": 48, "5xl": 74 };
  const SPACE = { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
  const IMG = { xxs: 40, xs: 60, sm: 80, md: 100, lg: 120, xl: 140, xxl: 160, "3xl": 180, "4xl": 200, "5xl": 240 };
  const BUBBLE = { nano: 120, micro: 160, deca: 220, hecto: 241, kilo: 260, mega: 300, giga: 386 };

  function len(v, table) {
    if (v == null) return null;
    if (table && Object.prototype.hasOwnProperty.call(table, v)) return table[v] + "px";
    if (/^-?\d+(\.\d+)?(px|%)$/.test(String(v))) return String(v);
    return null;
  }

  function ratio(r) {
    const m = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(r || "");
    return m ? m[1] + " / " + m[2] : "1 / 1";
  }

  function applyBoxModel(e, c) {
    const s = e.style;
    if (c.backgroundColor) s.backgroundColor = c.backgroundColor;
    if (c.borderColor) s.borderColor = c.borderColor;
    if (c.borderWidth) {
      s.borderStyle = "solid";
      s.borderWidth = len(c.borderWidth, { none: 0, light: 0.5, normal: 1, medium: 2, "semi-bold": 3, bold: 4 }) || "1px";
    }
    if (c.cornerRadius) s.borderRadius = len(c.cornerRadius, SPACE) || "0";
    for (const [k, css] of [["paddingAll", "padding"], ["paddingTop", "paddingTop"], ["paddingBottom", "paddingBottom"],
      ["paddingStart", "paddingLeft"], ["paddingEnd", "paddingRight"]]) {
      const v = len(c[k], SPACE);
      if (v != null) s[css] = v;
    }
    for (const k of ["width", "maxWidth", "height", "maxHeight"]) {
      const v = len(c[k]);
      if (v != null) s[k] = v;
    }
    if (c.position === "absolute") {
      s.position = "absolute";
      for (const [k, css] of [["offsetTop", "top"], ["offsetBottom", "bottom"], ["offsetStart", "left"], ["offsetEnd", "right"]]) {
        const v = len(c[k], SPACE);
        if (v != null) s[css] = v;
      }
    }
  }

  function renderComponent(c, parentLayout, pane) {
    switch (c.type) {
      case "box": return renderBox(c, pane);
      case "text": return renderText(c, pane);
      case "button": return renderButton(c, pane);
      case "image": return renderImage(c, pane);
      case "separator": {
        const e = el("div", { class: "fx-sep" });
        if (c.color) e.style.borderColor = c.color;
        return e;
      }
      case "filler": return el("div", { class: "fx-filler" });
      case "icon": {
        const e = el("img", { class: "fx-icon", src: safeUrl(c.url), alt: "" });
        const px = FONT[c.size || "md"] || 16;
        e.style.width = e.style.height = px + "px";
        return e;
      }
      case "spacer": return el("div", { class: "fx-spacer" });
      case "video": return el("div", { class: "fx-unknown", text: "［動画］" });
      default: return el("div", { class: "fx-unknown", text: "［" + c.type + "］" });
    }
  }

  function setFlex(e, c, parentLayout) {
    if (parentLayout === "horizontal" || parentLayout === "baseline") {
      const f = c.flex == null ? 1 : c.flex;
      e.style.flex = f === 0 ? "0 0 auto" : f + " 1 0px";
      e.style.minWidth = "0";
    } else if (c.flex) {
      e.style.flex = c.flex + " 1 0px";
    }
  }

  function renderBox(box, pane) {
    const layout = box.layout || "vertical";
    const e = el("div", { class: "fx-box fx-" + layout });
    applyBoxModel(e, box);
    if (box.justifyContent) e.style.justifyContent = box.justifyContent.replace("flex-", "");
    if (box.alignItems) e.style.alignItems = box.alignItems.replace("flex-", "");
    (box.contents || []).forEach((c, i) => {
      const child = renderComponent(c, layout, pane);
      setFlex(child, c, layout);
      const gap = len(i === 0 ? null : (c.margin != null ? c.margin : box.spacing), SPACE);
      if (gap) child.style[layout === "vertical" ? "marginTop" : "marginLeft"] = gap;
      if (c.type !== "box" && layout === "vertical" && c.gravity) child.style.alignSelf = "stretch";
      e.append(child);
    });
    if (box.action) clickable(e, box.action, pane);
    return e;
  }

  function textStyle(e, c) {
    e.style.fontSize = (FONT[c.size] || parseFloat(c.size) || (c.type === "span" ? null : 16)) + "px";
    if (c.type === "span" && !c.size) e.style.fontSize = "";
    if (c.weight === "bold") e.style.fontWeight = "700";
    if (c.color) e.style.color = c.color;
    if (c.style === "italic") e.style.fontStyle = "italic";
    if (c.decoration && c.decoration !== "none") e.style.textDecoration = c.decoration;
  }

  function renderText(t, pane) {
    const e = el("div", { class: "fx-text" + (t.wrap ? " wrap" : "") });
    textStyle(e, t);
    if (t.align) e.style.textAlign = { start: "left", end: "right", center: "center" }[t.align] || "left";
    if (t.gravity) e.style.alignSelf = { top: "flex-start", bottom: "flex-end", center: "center" }[t.gravity] || "";
    if (t.lineSpacing) e.style.lineHeight = "calc(1.4em + " + (len(t.lineSpacing) || "0px") + ")";
    if (t.maxLines) { e.classList.add("clamp"); e.style.webkitLineClamp = String(t.maxLines); }
    if (Array.isArray(t.contents) && t.contents.length) {
      for (const s of t.contents) {
        const span = el("span", { text: s.text || "" });
        textStyle(span, s);
        e.append(span);
      }
    } else {
      e.textContent = t.text || "";
    }
    if (t.action) clickable(e, t.action, pane);
    return e;
  }

  function renderButton(b, pane) {
    const style = b.style || "link";
    const a = b.action || {};
    const e = el("button", { type: "button", class: "fx-btn fx-" + style + (b.height === "sm" ? " sm" : ""),
      text: a.label || "（ラベルなし）", title: actionHint(a) });
    if (b.color) {
      if (style === "link") e.style.color = b.color;
      else e.style.backgroundColor = b.color;
    }
    if (b.gravity) e.style.alignSelf = { top: "flex-start", bottom: "flex-end", center: "center" }[b.gravity] || "";
    e.addEventListener("click", () => doAction(pane, a));
    return e;
  }

  function renderImage(img, pane) {
    const wrap = el("div", { class: "fx-image" });
    const size = img.size || "md";
    if (size === "full") wrap.style.width = "100%";
    else wrap.style.width = len(size, IMG) || "100px";
    wrap.style.maxWidth = "100%";
    wrap.style.aspectRatio = ratio(img.aspectRatio);
    const align = img.align || "center";
    wrap.style.alignSelf = { start: "flex-start", end: "flex-end", center: "center" }[align];
    if (img.backgroundColor) wrap.style.backgroundColor = img.backgroundColor;
    const i = el("img", { src: safeUrl(img.url), alt: "", loading: "lazy" });
    i.style.objectFit = img.aspectMode === "cover" ? "cover" : "contain";
    wrap.append(i);
    if (img.action) clickable(wrap, img.action, pane);
    return wrap;
  }

  function clickable(e, action, pane) {
    e.classList.add("fx-clickable");
    e.title = actionHint(action);
    e.addEventListener("click", (ev) => { ev.stopPropagation(); doAction(pane, action); });
  }

  function actionHint(a) {
    if (!a || !a.type) return "";
    if (a.type === "postback") return "postback: " + a.data;
    if (a.type === "uri") return a.uri;
    if (a.type === "message") return "メッセージ: " + a.text;
    return a.type;
  }

  const SECTION_PAD = { header: "20px", hero: "0", body: "20px", footer: "10px" };

  function renderBubble(b, pane) {
    const e = el("div", { class: "fx-bubble" });
    e.style.width = (BUBBLE[b.size || "mega"] || 300) + "px";
    if (b.direction === "rtl") e.dir = "rtl";
    const styles = b.styles || {};
    for (const name of ["header", "hero", "body", "footer"]) {
      const part = b[name];
      if (!part) continue;
      const st = styles[name] || {};
      const sec = el("div", { class: "fx-section fx-" + name });
      if (st.backgroundColor) sec.style.backgroundColor = st.backgroundColor;
      if (st.separator) sec.style.borderTop = "1px solid " + (st.separatorColor || "#d4d6da");
      const root = renderComponent(part, "vertical", pane);
      if (part.type === "box" && part.paddingAll == null) {
        root.style.padding = SECTION_PAD[name];
        for (const [k, css] of [["paddingTop", "paddingTop"], ["paddingBottom", "paddingBottom"],
          ["paddingStart", "paddingLeft"], ["paddingEnd", "paddingRight"]]) {
          const v = len(part[k], SPACE);
          if (v != null) root.style[css] = v;
        }
      }
      if (part.type === "image") root.style.width = "100%";
      sec.append(root);
      e.append(sec);
    }
    if (b.action) clickable(e, b.action, pane);
    return e;
  }

  function renderFlex(contents, pane) {
    if (contents.type === "carousel") {
      return el("div", { class: "fx-carousel" }, (contents.contents || []).map((b) => renderBubble(b, pane)));
    }
    return renderBubble(contents, pane);
  }

  function renderTemplate(t, pane) {
    const card = el("div", { class: "tpl" });
    const cols = t.type === "carousel" ? t.columns : [t];
    for (const col of cols || []) {
      const c = el("div", { class: "tpl-col" });
      if (col.thumbnailImageUrl) c.append(el("img", { src: safeUrl(col.thumbnailImageUrl), alt: "" }));
      if (col.title) c.append(el("div", { class: "tpl-title", text: col.title }));
      c.append(el("div", { class: "tpl-text", text: col.text || "" }));
      const row = el("div", { class: "tpl-actions" + (t.type === "confirm" ? " confirm" : "") });
      for (const a of col.actions || []) {
        row.append(el("button", { type: "button", class: "fx-btn fx-link", text: a.label || "", onclick: () => doAction(pane, a) }));
      }
      c.append(row);
      card.append(c);
    }
    return card;
  }

  function renderBotMessage(m, pane) {
    switch (m.type) {
      case "text":
        return el("div", { class: "bubble bot-text" }, linkify(m.text || ""));
      case "flex":
        return el("div", { class: "flex-wrap", title: "altText: " + (m.altText || "") }, renderFlex(m.contents || {}, pane));
      case "image":
        return el("div", { class: "bubble media" },
          el("img", { src: safeUrl(m.previewImageUrl || m.originalContentUrl), alt: "画像" }));
      case "sticker":
        return el("div", { class: "bubble bot-text sticker", text: "［スタンプ］" });
      case "location":
        return locationCard(m, "bubble bot-text");
      case "template":
        return renderTemplate(m.template || {}, pane);
      default:
        return el("div", { class: "bubble bot-text" }, el("em", { text: "［" + m.type + " メッセージ］" }),
          el("details", {}, el("summary", { text: "JSON" }), el("pre", { text: JSON.stringify(m, null, 1) })));
    }
  }

  function locationCard(m, cls) {
    return el("div", { class: cls + " loc" },
      el("div", { class: "loc-pin", text: "📍" }),
      el("div", {},
        el("div", { class: "loc-title", text: m.title || "位置情報" }),
        m.address ? el("div", { class: "loc-addr", text: m.address }) : null,
        el("div", { class: "loc-ll", text: Number(m.latitude).toFixed(4) + ", " + Number(m.longitude).toFixed(4) })));
  }

  // --- actions ------------------------------------------------------------------------------
  function doAction(pane, a) {
    if (!a || !pane) return;
    switch (a.type) {
      case "postback":
        pane.send("postback", { data: a.data, displayText: a.displayText || a.text || "" });
        if (a.inputOption === "openKeyboard") {
          pane.input.value = a.fillInText || "";
          pane.input.focus();
        }
        break;
      case "message":
        pane.send("text", { text: a.text });
        break;
      case "uri": {
        if ((a.uri || "").startsWith("https://line.me/R/nv/location")) {  // LINE's location picker (rich menu)
          pane.openLocation();
          break;
        }
        const url = (a.altUri && a.altUri.desktop) || a.uri;
        window.open(url, "_blank", "noopener");
        break;
      }
      case "location":
        pane.openLocation();
        break;
      case "datetimepicker":
        pane.openDatetime(a);
        break;
      case "camera":
      case "cameraRoll":
        pane.imageInput.click();
        break;
      case "clipboard":
        if (navigator.clipboard) navigator.clipboard.writeText(a.clipboardText || "");
        toast("コピーしました");
        break;
      default:
        toast("この操作（" + a.type + "）はシミュレーターでは使えません", true);
    }
  }

  // --- one chat pane ------------------------------------------------------------------------
  class Pane {
    constructor(user) {
      this.user = user;
      this.after = 0;
      this.items = [];
      this.queue = Promise.resolve();
      this.build();
    }

    get id() { return this.user.id; }

    build() {
      const u = this.user;
      this.nameEl = el("div", { class: "pane-name", text: u.name });
      this.subEl = el("div", { class: "pane-sub", text: userLabel(u) || "LINEユーザー" });
      // which LINE channel (公式アカウント) this person talks to: its destination and secret sign the events
      this.chanEl = el("div", { class: "pane-channel", text: channelText(u) });
      this.chat = el("div", { class: "chat", role: "log", "aria-label": u.name + "さんのトーク" });
      this.quick = el("div", { class: "quick", hidden: true });
      this.banner = el("div", { class: "banner", hidden: true },
        el("span", { text: "ボットはまだ友だちではありません。" }),
        el("button", { type: "button", class: "primary", text: "友だち追加", onclick: () => this.toggleFollow() }));
      this.input = el("textarea", { rows: "1", placeholder: "メッセージを入力", "aria-label": "メッセージ" });
      this.input.addEventListener("input", () => this.autosize());
      this.input.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
          ev.preventDefault();
          this.submitText();
        }
      });
      this.imageInput = el("input", { type: "file", accept: "image/*", hidden: true,
        onchange: () => this.upload("image", this.imageInput) });
      this.fileInput = el("input", { type: "file", accept: ".pdf,application/pdf,*/*", hidden: true,
        onchange: () => this.upload("file", this.fileInput) });
      this.followBtn = el("button", { type: "button", class: "follow", onclick: () => this.toggleFollow() });
      const form = el("form", { class: "input-row", onsubmit: (ev) => { ev.preventDefault(); this.submitText(); } },
        this.input, el("button", { type: "submit", class: "send", text: "送信" }));
      this.root = el("section", { class: "pane", "data-user-id": u.id },
        el("header", { class: "pane-head" },
          el("span", { class: "avatar big", text: u.name.slice(0, 1) }),
          el("div", { class: "pane-who" }, this.nameEl, this.subEl, this.chanEl),
          this.followBtn,
          el("button", { type: "button", class: "close", "aria-label": "閉じる", title: "閉じる", text: "×",
            onclick: () => closePane(this.id) })),
        el("div", { class: "chat-with", text: "トーク相手：" + (DATA.association || "自治会") + "（ボット）" }),
        this.chat, this.banner, this.quick,
        el("div", { class: "composer" },
          el("div", { class: "tools" },
            el("button", { type: "button", class: "tool", text: "🖼 画像", title: "画像を送る",
              onclick: () => this.imageInput.click() }),
            el("button", { type: "button", class: "tool", text: "📄 PDF", title: "PDFやファイルを送る",
              onclick: () => this.fileInput.click() }),
            el("button", { type: "button", class: "tool", text: "📍 位置情報", title: "位置情報を送る",
              onclick: () => this.openLocation() }),
            el("button", { type: "button", class: "tool sticker-tool", text: "😊 スタンプ", title: "スタンプを送る",
              onclick: () => this.openStickers() })),
          form, this.imageInput, this.fileInput),
        this.menuEl = el("div", { class: "richmenu", hidden: true, "aria-label": "リッチメニュー" }));
      this.menuId = null;
      this.updateUser(u);
    }

    updateUser(u) {
      this.user = u;
      this.nameEl.textContent = u.name;
      this.subEl.textContent = userLabel(u) || "LINEユーザー";
      this.chanEl.textContent = channelText(u);
      const friend = !!u.friend;
      this.followBtn.textContent = friend ? "ブロック" : "友だち追加";
      this.followBtn.title = friend ? "ボットをブロックする（unfollow）" : "ボットを友だち追加する（follow）";
      this.banner.hidden = friend;
      this.banner.firstChild.textContent = u.blocked ? "ボットをブロック中です。" : "ボットはまだ友だちではありません。";
      this.banner.lastChild.textContent = u.blocked ? "ブロック解除" : "友だち追加";
      this.input.disabled = !friend;
      this.root.classList.toggle("not-friend", !friend);
    }

    autosize() {
      this.input.style.height = "auto";
      this.input.style.height = Math.min(this.input.scrollHeight + 2, 140) + "px";
      this.input.style.overflowY = this.input.scrollHeight > 140 ? "auto" : "hidden";
    }

    submitText() {
      const text = this.input.value;
      if (!text.trim()) return;
      this.input.value = "";
      this.autosize();
      this.send("text", { text });
    }

    toggleFollow() {
      const friend = !!this.user.friend;
      if (friend && !confirm(this.user.name + "さんとして、ボットをブロックしますか？（unfollow イベントを送ります）")) return;
      this.send(friend ? "unfollow" : "follow", {});
      this.user.friend = !friend;
      this.user.blocked = friend;
      this.updateUser(this.user);
    }

    upload(kind, input) {
      const f = input.files && input.files[0];
      input.value = "";
      if (!f) return;
      const fd = new FormData();
      fd.append("user_id", this.id);
      fd.append("kind", kind);
      fd.append("file", f, f.name);
      this.send(kind, null, fd);
    }

    send(kind, fields, form) {
      // one at a time per person, in order, like a phone
      this.queue = this.queue.then(async () => {
        try {
          const res = await api("/send", form || Object.assign({ user_id: this.id, kind }, fields));
          if (res.status !== 200) toast("/callback が " + res.status + " を返しました", true);
        } catch (e) {
          toast("送れませんでした：" + e.message, true);
        }
        await tick(true);
      });
      return this.queue;
    }

    // the user's rich menu as LINE holds it: the real image, a button over each tappable area
    async pollMenu() {
      const m = await api("/richmenu?user_id=" + encodeURIComponent(this.id));
      if (m.id === this.menuId) return;
      this.menuId = m.id;
      this.menuEl.replaceChildren();
      this.menuEl.hidden = !m.id;
      if (!m.id) return;
      const box = el("div", { class: "richmenu-box", "data-menu-id": m.id,
        style: "aspect-ratio: " + m.size.width + " / " + m.size.height });
      box.append(el("img", { src: m.image, alt: "", class: "richmenu-img" }));
      for (const area of m.areas) {
        const b = area.bounds, pct = (v, of) => (100 * v / of) + "%";
        box.append(el("button", { type: "button", class: "richmenu-area", title: area.action.label || "",
          "aria-label": area.action.label || "", "data-action": JSON.stringify(area.action),
          style: "left:" + pct(b.x, m.size.width) + ";top:" + pct(b.y, m.size.height) + ";width:" +
            pct(b.width, m.size.width) + ";height:" + pct(b.height, m.size.height),
          onclick: () => doAction(this, area.action) }));
      }
      this.menuEl.append(box, el("div", { class: "richmenu-bar", text: m.chatBarText || "メニュー" }));
    }

    async poll() {
      this.pollMenu().catch(() => {});
      const res = await api("/messages?user_id=" + encodeURIComponent(this.id) + "&after=" + this.after);
      if (!res.items.length) return;
      const nearBottom = this.chat.scrollHeight - this.chat.scrollTop - this.chat.clientHeight < 120;
      let mine = false;
      for (const item of res.items) {
        this.items.push(item);
        this.chat.append(this.renderItem(item));
        mine = mine || item.from === "user";
      }
      this.after = res.last;
      this.renderQuick();
      if (nearBottom || mine) this.chat.scrollTop = this.chat.scrollHeight;
    }

    renderItem(item) {
      if (item.from === "bot") {
        const m = item.message || {};
        const prev = this.items[this.items.length - 2];
        const first = !prev || prev.from !== "bot" || prev.seq !== item.seq;
        return el("div", { class: "row bot" + (first ? " first" : "") },
          el("span", { class: "avatar bot-avatar", text: first ? "回" : "" }),
          el("div", { class: "stack" },
            first ? el("div", { class: "sender", text: DATA.association || "回覧板" }) : null,
            renderBotMessage(m, this),
            el("div", { class: "via via-" + item.via, text: VIA[item.via] || item.via })));
      }
      const err = item.status && item.status !== 200
        ? el("div", { class: "err", text: "/callback → " + item.status }) : null;
      const note = (text) => el("div", { class: "row note" }, el("span", { text }), err);
      switch (item.kind) {
        case "text":
          return el("div", { class: "row me" }, el("div", { class: "bubble me-text" }, linkify(item.text)), err);
        case "postback":
          if (item.displayText) {
            return el("div", { class: "row me", title: "postback: " + item.data },
              el("div", { class: "bubble me-text" }, item.displayText), err);
          }
          if (item.params && Object.keys(item.params).length) {
            return note("日時を選択：" + Object.values(item.params).join(" ").replace("T", " "));
          }
          return note("（ボタンを押しました：" + item.data + "）");
        case "follow":
          return note(item.isUnblocked ? "ブロックを解除しました" : "ボットを友だち追加しました");
        case "unfollow":
          return note("ボットをブロックしました");
        case "location":
          return el("div", { class: "row me" }, locationCard(item, "bubble me-text"), err);
        case "sticker":
          return el("div", { class: "row me", title: "sticker " + item.packageId + "/" + item.stickerId },
            el("div", { class: "sticker", role: "img", "aria-label": "スタンプ：" + ((item.keywords || [])[0] || item.stickerId) },
              el("span", { class: "sticker-emoji", text: item.emoji || "🙂" }),
              el("span", { class: "sticker-word", text: (item.keywords || [])[0] || "" })), err);
        case "image":
          return el("div", { class: "row me" },
            el("div", { class: "bubble media" }, el("img", { src: safeUrl(item.url), alt: item.fileName || "画像" })), err);
        case "file":
          return el("div", { class: "row me" },
            el("a", { class: "bubble me-text file", href: safeUrl(item.url), target: "_blank", rel: "noopener" },
              el("span", { class: "file-icon", text: "📄" }),
              el("span", {}, el("div", { class: "file-name", text: item.fileName }),
                el("div", { class: "file-size", text: humanSize(item.fileSize || 0) }))), err);
        default:
          return note("（" + item.kind + "）");
      }
    }

    renderQuick() {
      const last = this.items[this.items.length - 1];
      const qr = last && last.from === "bot" && last.message && last.message.quickReply;
      this.quick.replaceChildren();
      this.quick.hidden = !(qr && qr.items && qr.items.length);
      if (this.quick.hidden) return;
      for (const it of qr.items) {
        const a = it.action || {};
        const icon = { location: "📍 ", datetimepicker: "🗓 ", camera: "📷 ", cameraRoll: "🖼 " }[a.type] || "";
        this.quick.append(el("button", { type: "button", class: "chip", text: icon + (a.label || ""),
          title: actionHint(a), onclick: () => doAction(this, a) }));
      }
    }

    // -- pickers ---------------------------------------------------------------------------
    modal(title, body, onOk) {
      const close = () => box.remove();
      const box = el("div", { class: "modal", role: "dialog", "aria-label": title },
        el("form", { class: "sheet", onsubmit: (ev) => { ev.preventDefault(); if (onOk() !== false) close(); } },
          el("h3", { text: title }), body,
          el("div", { class: "row-btns" },
            el("button", { type: "submit", class: "primary", text: "送信" }),
            el("button", { type: "button", class: "plain", text: "キャンセル", onclick: close }))));
      this.root.append(box);
      const first = box.querySelector("input");
      if (first) first.focus();
    }

    openLocation() {
      const lat = el("input", { type: "number", step: "any", min: "-90", max: "90", required: true, value: "35.6812" });
      const lng = el("input", { type: "number", step: "any", min: "-180", max: "180", required: true, value: "139.7671" });
      const title = el("input", { maxlength: "100", placeholder: "例：東町会館" });
      const addr = el("input", { maxlength: "200", placeholder: "例：東京都千代田区東町1-2-3" });
      const presets = el("div", { class: "presets" }, (DATA.places || []).map((p) => el("button", {
        type: "button", class: "chip", text: p.title,
        onclick: () => { lat.value = p.latitude; lng.value = p.longitude; title.value = p.title; addr.value = p.address; },
      })));
      this.modal("位置情報を送信", el("div", {},
        el("p", { class: "hint", text: "東町の場所を選ぶか、緯度・経度を入力してください。" }), presets,
        el("div", { class: "grid2" },
          el("label", {}, "緯度", lat), el("label", {}, "経度", lng)),
        el("label", {}, "場所の名前（任意）", title), el("label", {}, "住所（任意）", addr)),
      () => {
        this.send("location", { latitude: lat.value, longitude: lng.value, title: title.value, address: addr.value });
      });
    }

    openStickers() {
      const close = () => box.remove();
      const box = el("div", { class: "modal", role: "dialog", "aria-label": "スタンプを送る" },
        el("div", { class: "sheet" },
          el("h3", { text: "スタンプを送る" }),
          el("p", { class: "hint", text: "住民がよく送るスタンプです（LINEの無料スタンプと同じ番号のイベントを送ります）。" }),
          el("div", { class: "stickers" }, (DATA.stickers || []).map((st) => el("button", {
            type: "button", class: "sticker-choice", title: st.keywords.join("・"),
            onclick: () => { close(); this.send("sticker", { packageId: st.packageId, stickerId: st.stickerId }); },
          }, el("span", { class: "sticker-emoji", text: st.emoji }), el("span", { class: "sticker-word", text: st.keywords[0] })))),
          el("div", { class: "row-btns" },
            el("button", { type: "button", class: "plain", text: "キャンセル", onclick: close }))));
      this.root.append(box);
    }

    openDatetime(a) {
      const mode = a.mode || "datetime";
      const input = el("input", { type: mode === "datetime" ? "datetime-local" : mode, required: true });
      if (a.initial) input.value = a.initial;
      if (a.min) input.min = a.min;
      if (a.max) input.max = a.max;
      this.modal(a.label || "日時を選ぶ", el("label", {}, { date: "日付", time: "時刻", datetime: "日時" }[mode] || "日時", input), () => {
        if (!input.value) return false;
        const params = {};
        params[mode] = input.value;
        this.send("postback", { data: a.data, params });
      });
    }
  }

  // --- panes and the list of people ---------------------------------------------------------
  function syncUrl() {
    const url = new URL(location.href);
    if (panes.length) url.searchParams.set("open", panes.map((p) => p.id).join(","));
    else url.searchParams.delete("open");
    history.replaceState(null, "", url.pathname + (url.search ? url.search : ""));
  }

  function openPane(id, quiet) {
    const existing = panes.find((p) => p.id === id);
    if (existing) {
      existing.root.scrollIntoView({ behavior: "smooth", inline: "nearest" });
      existing.root.classList.remove("flash");
      void existing.root.offsetWidth;
      existing.root.classList.add("flash");
      existing.input.focus();
      return existing;
    }
    const user = users.get(id) || { id, name: "ID " + id.slice(1, 7), block: "", label: "", friend: true };
    if (panes.length >= MAX_PANES) closePane(panes[0].id);
    const pane = new Pane(user);
    panes.push(pane);
    document.getElementById("panes").append(pane.root);
    document.getElementById("empty").hidden = true;
    renderUsers();
    syncUrl();
    pane.poll().catch(() => {});
    if (!quiet) pane.input.focus();
    return pane;
  }

  function closePane(id) {
    const i = panes.findIndex((p) => p.id === id);
    if (i < 0) return;
    panes[i].root.remove();
    panes.splice(i, 1);
    document.getElementById("empty").hidden = panes.length > 0;
    renderUsers();
    syncUrl();
  }

  function renderUsers() {
    const list = document.getElementById("user-list");
    list.replaceChildren();
    let group = null;
    for (const u of users.values()) {
      const g = u.kind === "staff" ? (u.association ? u.association + " " : "") + "市の担当者"
        : u.kind === "new" ? "新しく追加した人"
        : (u.association ? u.association + " " : "") + (u.block || "班なし");
      if (g !== group) {
        group = g;
        list.append(el("li", { class: "group", text: g }));
      }
      const open = panes.some((p) => p.id === u.id);
      list.append(el("li", {}, el("button", {
        type: "button", class: "user" + (open ? " open" : "") + (u.friend ? "" : " off"), "data-user-id": u.id,
        onclick: () => openPane(u.id),
      }, el("span", { class: "avatar" + (u.role ? " role-" + u.role : ""), text: u.name.slice(0, 1) }),
      el("span", { class: "who" }, el("span", { class: "name", text: u.name }),
        el("span", { class: "meta", text: [u.label, u.kind === "new" ? u.channel : "", u.friend ? "" : (u.blocked ? "ブロック中" : "友だち未追加")].filter((x, i, a) => x && a.indexOf(x) === i).join("・") })))));
    }
  }

  function setUsers(list) {
    users.clear();
    for (const u of list) users.set(u.id, u);
    for (const p of panes) {
      const u = users.get(p.id);
      if (u) p.updateUser(u);
    }
    renderUsers();
  }

  async function refreshUsers() {
    try {
      const res = await api("/users");
      setUsers(res.users);
    } catch (e) { /* next time */ }
  }

  // --- polling ------------------------------------------------------------------------------
  let running = null;
  let ticks = 0;

  async function tick(afterSend) {
    if (running) {
      await running;
      if (!afterSend) return;
    }
    running = (async () => {
      try {
        await api("/dispatch", {});
      } catch (e) { /* the scheduler may hold the lock; try next tick */ }
      await Promise.all(panes.map((p) => p.poll().catch(() => {})));
      ticks += 1;
      if (afterSend || ticks % 4 === 0) await refreshUsers();
    })();
    try { await running; } finally { running = null; }
  }

  // --- the bot's clock ----------------------------------------------------------------------
  function clockText(c) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(c.now || "");
    if (!m) return "—";
    let text = `${Number(m[2])}月${Number(m[3])}日 ${m[4]}:${m[5]}`;
    const moved = c.shifted_minutes || 0;
    if (moved) {
      const days = Math.floor(moved / 1440), hours = Math.floor((moved % 1440) / 60), mins = moved % 60;
      text += `（${days ? days + "日" : ""}${hours ? hours + "時間" : ""}${mins ? mins + "分" : ""}進めています）`;
    }
    return text;
  }

  async function setupClock() {
    const now = document.getElementById("clock-now");
    if (!now) return;
    try { now.textContent = clockText(await api("/clock")); } catch (e) { /* shown as — */ }
    for (const b of document.querySelectorAll(".clock-btn")) {
      b.addEventListener("click", async () => {
        const buttons = document.querySelectorAll(".clock-btn");
        buttons.forEach((x) => { x.disabled = true; });
        try {
          now.textContent = clockText(await api("/clock", { minutes: Number(b.dataset.minutes) }));
          await tick(true);
        } catch (e) {
          toast("時計を進められませんでした：" + e.message, true);
        } finally {
          buttons.forEach((x) => { x.disabled = false; });
        }
      });
    }
  }

  // --- start --------------------------------------------------------------------------------
  function start() {
    setUsers(DATA.users || []);
    const toggle = document.getElementById("add-toggle");
    const form = document.getElementById("add-form");
    const name = document.getElementById("add-name");
    toggle.addEventListener("click", () => { form.hidden = false; toggle.hidden = true; name.focus(); });
    document.getElementById("add-cancel").addEventListener("click", () => { form.hidden = true; toggle.hidden = false; });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const n = name.value.trim();
      if (!n) return;
      try {
        const pick = document.getElementById("add-channel");
        const body = { name: n };
        if (pick) body.channel = pick.value === "" ? null : Number(pick.value);
        const res = await api("/users", body);
        name.value = "";
        form.hidden = true;
        toggle.hidden = false;
        await refreshUsers();
        openPane(res.user.id);
        await tick(true);
      } catch (e) {
        toast("追加できませんでした：" + e.message, true);
      }
    });
    for (const id of DATA.open || []) openPane(id, true);
    setInterval(() => { tick(false); }, POLL_MS);
    setupClock();
  }

  start();
})();
