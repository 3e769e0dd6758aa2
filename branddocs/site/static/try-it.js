// "Try it" (branddocs/site/try_it.py writes the panels and publishes this file): send a guide example's own request to the brand's base URL
// with the reader's API key, and show the reply as it arrives. A file, not an inline script: the sites' Content
// Security Policy allows scripts from the site alone, and `connect-src` the brand's base URL alone.
//
// The key lives in the password field, in this page's memory. Only if the reader ticks "keep for this visit" is it
// also put in sessionStorage (this tab, until it closes); never in localStorage, a cookie or a URL: no form is
// submitted, nothing is navigated to.
//
// sessionStorage belongs to the origin, and one host may serve several tenants under different paths
// (`branddocs host`): a kept key is bound to where it may be sent. It is stored under this site's address and
// the panel's base URL, and a panel is filled only from the entry of its own site and base URL, compared
// exactly: another tenant's site on the same origin (another path, even one inside this one) or another base
// URL never gets it (tests/test_try_it_tenants.py).
(() => {
  "use strict"
  const KEPT = "branddocs-try-it-key"
  // The site this script belongs to: it is published at <site>/assets/branddocs/try-it.js (try_it.SCRIPT).
  const SITE = (() => {
    try {
      return new URL("../../", document.currentScript.src).href
    } catch {
      return "" // no script address: nothing is kept
    }
  })()

  /** The name a key kept for `base` is stored under on this site; null when it cannot be bound (not kept). */
  function slot(base) {
    return SITE ? `${KEPT} ${JSON.stringify([SITE, base])}` : null
  }

  function session() {
    try {
      return window.sessionStorage
    } catch {
      return null // storage turned off: the key stays in the field alone
    }
  }

  function setUp(panel) {
    if (panel.dataset.bdReady) return
    const base = panel.dataset.bdBase
    const url = panel.dataset.bdUrl
    // Requests go to the brand's base URL and nowhere else (the build puts only such URLs here).
    if (!base || !url || !(url === base || url.startsWith(base + "/"))) return
    panel.dataset.bdReady = "1"
    const key = panel.querySelector(".bd-try__key")
    const keep = panel.querySelector(".bd-try__keep")
    const send = panel.querySelector(".bd-try__send")
    const name = slot(base)
    const kept = name && session()?.getItem(name)
    if (kept) {
      key.value = kept
      keep.checked = true
    }
    const remember = () => {
      const store = session()
      if (!store || !name) return
      if (keep.checked && key.value) store.setItem(name, key.value)
      else store.removeItem(name)
    }
    keep.addEventListener("change", remember)
    key.addEventListener("input", remember)
    key.addEventListener("keydown", event => {
      if (event.key === "Enter") {
        event.preventDefault()
        send.click()
      }
    })
    send.addEventListener("click", () => run(panel, url, key.value.trim(), send))
    panel.hidden = false
  }

  async function run(panel, url, key, send) {
    const status = panel.querySelector(".bd-try__status")
    const reply = panel.querySelector(".bd-try__reply")
    status.classList.remove("bd-try__status--error")
    reply.textContent = ""
    reply.hidden = true
    if (!key) {
      status.textContent = panel.dataset.bdNoKey
      status.classList.add("bd-try__status--error")
      return
    }
    send.disabled = true
    status.textContent = panel.dataset.bdSending
    try {
      let response
      try {
        response = await fetch(url, {
          method: "POST",
          mode: "cors",
          credentials: "omit",
          cache: "no-store",
          redirect: "error",
          referrerPolicy: "no-referrer",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
          body: panel.dataset.bdBody,
        })
      } catch {
        status.textContent = panel.dataset.bdNetwork
        status.classList.add("bd-try__status--error")
        return
      }
      status.textContent = `HTTP ${response.status} ${response.statusText}`.trim()
      if (!response.ok) status.classList.add("bd-try__status--error")
      reply.hidden = false
      if (panel.dataset.bdStream === "true" && response.ok && response.body) {
        const reader = response.body.getReader()
        const decoder = new TextDecoder()
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          reply.textContent += decoder.decode(value, { stream: true })
        }
        reply.textContent += decoder.decode()
      } else {
        const text = await response.text()
        try {
          reply.textContent = JSON.stringify(JSON.parse(text), null, 2)
        } catch {
          reply.textContent = text
        }
      }
    } catch (error) {
      status.textContent = `${panel.dataset.bdNetwork} (${error})`
      status.classList.add("bd-try__status--error")
    } finally {
      send.disabled = false
    }
  }

  // An earlier version kept the key under KEPT alone, for every panel of the origin: it is never read, and dropped.
  session()?.removeItem(KEPT)
  const setUpAll = () => document.querySelectorAll(".bd-try").forEach(setUp)
  // Material's instant navigation swaps pages without loading this script again: it announces each page on document$.
  if (typeof window.document$ !== "undefined" && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(setUpAll)
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll)
  } else {
    setUpAll()
  }
})()
