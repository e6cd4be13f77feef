"""The web UI in a real browser: Debian's headless Chromium driven by selenium, against real
servers (gunicorn, two workers).

Every page a test visits is saved as a screenshot in ``<tmp>/screenshots/``; the repository
and chart pages of :func:`test_browse_search_read_and_switch_version` are also copied to
``docs/screenshots/`` for the README when ``UPDATE_SCREENSHOTS=1`` is set (a test run never
changes tracked files otherwise).
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers import Server
from tests.helpers import chart_yaml
from tests.helpers import make_prov
from tests.helpers import make_tgz

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE_DOCS = os.environ.get("UPDATE_SCREENSHOTS") == "1"
WIDTH = 1280
USER, PASSWORD = "admin", "secret"

CHARTS = {
    "cert-manager": ("Automatically provision and manage TLS certificates in Kubernetes",
                     ["tls", "certificates", "security"], "1.16.2"),
    "grafana": ("The open observability platform: dashboards for metrics, logs and traces",
                ["monitoring", "dashboards"], "11.4.0"),
    "nginx": ("NGINX Open Source: a web server that can also be a reverse proxy and cache",
              ["nginx", "http", "web"], "1.27.3"),
    "postgresql": ("PostgreSQL, the object-relational database known for reliability",
                   ["database", "sql"], "17.2.0"),
    "prometheus": ("Prometheus: a systems monitoring toolkit and time series database",
                   ["monitoring", "metrics", "alerting"], "3.0.1"),
    "redis": ("Redis: the in-memory data store used as a database, cache and broker",
              ["database", "cache", "keyvalue"], "7.4.1"),
}  # fmt: skip

README = """# webapp

A web application behind a Service and an optional Ingress, with its Redis cache and
PostgreSQL database as dependencies.

## Installing

```bash
helm install shop charts/webapp --set ingress.enabled=true
```

## Parameters

| Name | Description | Default |
|------|-------------|---------|
| `replicaCount` | Number of pods | `2` |
| `image.tag` | Image tag | `1.4.2` |
| `ingress.enabled` | Expose the app through an Ingress | `false` |

> Upgrading from 0.x: `service.port` is now `service.ports.http`.
"""

VALUES = """# Default values for webapp.
replicaCount: 2

image:
  repository: ghcr.io/example/webapp
  tag: "1.4.2"  # defaults to the chart's appVersion
  pullPolicy: IfNotPresent

service:
  type: ClusterIP
  ports:
    http: 80

ingress:
  enabled: false
  className: nginx
  hosts:
    - host: shop.example.com
      paths: ["/"]

resources:
  requests:
    cpu: 100m
    memory: 128Mi
"""

PAYLOADS = """# Totally harmless

<script>window.__pwned = "script"</script>
<img src="https://127.0.0.1:1/x.png" onerror="window.__pwned = 'onerror'">
<svg onload="window.__pwned = 'svg'"><script>window.__pwned = 'svg-script'</script></svg>
<iframe srcdoc="<script>parent.__pwned = 'iframe'</script>"></iframe>
<a id="js-link" href="javascript:window.__pwned = 'link'">click me</a>
[markdown link](javascript:window.__pwned='md')
<a id="data-link" href="data:text/html,<script>alert(1)</script>">data link</a>
<div onmouseover="window.__pwned = 'hover'" id="hover-me">hover me</div>
<details open ontoggle="window.__pwned = 'toggle'"><summary>x</summary>y</details>
<form action="javascript:window.__pwned='form'"><button id="form-button">go</button></form>
<object data="javascript:window.__pwned='object'"></object>
<style>body { background: red }</style>
<p style="background: url(javascript:window.__pwned='style')">styled</p>
<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned='mglyph'">
"""


# -- charts ------------------------------------------------------------------------------------
def package(
    name: str,
    version: str,
    description: str,
    keywords: list[str],
    app_version: str,
    readme: str | None = None,
    values: str = "replicaCount: 1\n",
    dependencies: str = "",
) -> bytes:
    meta = chart_yaml(name, version, description=f'"{description}"', appVersion=f'"{app_version}"',
                      home=f"https://example.com/{name}")  # fmt: skip
    meta += "keywords:\n" + "".join(f"  - {k}\n" for k in keywords)
    meta += f"sources:\n  - https://github.com/example/{name}\n"
    meta += "maintainers:\n  - name: Platform Team\n    email: platform@example.com\n"
    files = {
        "Chart.yaml": meta + dependencies,
        "values.yaml": values,
        "templates/deployment.yaml": "kind: Deployment\n",
        "templates/service.yaml": "kind: Service\n",
        "templates/ingress.yaml": "{{- if .Values.ingress.enabled }}\nkind: Ingress\n{{- end }}\n",
    }
    if readme is not None:
        files["README.md"] = readme
    return make_tgz(files, top=name)


def webapp(version: str, server_url: str) -> bytes:
    deps = (
        "dependencies:\n"
        f"  - name: redis\n    version: ~7.4.0\n    repository: {server_url}\n"
        f"  - name: postgresql\n    version: ^17.0.0\n    repository: {server_url}\n"
    )
    return package(
        "webapp",
        version,
        "An online shop's web front end, with its cache and database",
        ["web", "shop", "frontend"],
        "1.4.2",
        readme=README,
        values=VALUES,
        dependencies=deps,
    )


def seed(server: Server, tenant: str = "", auth: tuple[str, str] | None = None) -> None:
    """The catalogue of the screenshots, in ``tenant``."""
    api = f"/api/{tenant}/charts" if tenant else "/api/charts"
    repo_url = server.url + (f"/{tenant}" if tenant else "")
    for name, (description, keywords, app_version) in CHARTS.items():
        body = package(name, "7.4.1" if name == "redis" else "17.1.0" if name == "postgresql"
                       else "1.0.0", description, keywords, app_version)  # fmt: skip
        assert server.post(api, data=body, auth=auth).status_code == 201
    for version in ("0.9.0", "1.0.0", "1.1.0"):
        assert server.post(api, data=webapp(version, repo_url), auth=auth).status_code == 201
    prov_api = api.replace("/charts", "/prov")
    assert server.post(prov_api, data=make_prov("webapp", "1.1.0"), auth=auth).status_code == 201


# -- the browser -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    chromedriver = shutil.which("chromedriver")
    assert chromedriver and shutil.which("chromium"), (
        "Chromium is not installed: apt-get install -y chromium chromium-driver, "
        "or make system-deps"
    )
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                f"--window-size={WIDTH},1000"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(chromedriver))
    driver.execute_cdp_cmd("Network.enable", {})
    yield driver
    driver.quit()


@pytest.fixture
def page(browser: WebDriver, tmp_path: Path) -> Iterator[WebDriver]:
    """The browser, without credentials or cookies left by another test."""
    browser.delete_all_cookies()
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})
    browser.set_window_size(WIDTH, 1000)
    browser.screenshots = tmp_path / "screenshots"  # type: ignore[attr-defined]
    browser.screenshots.mkdir()  # type: ignore[attr-defined]
    yield browser
    browser.get_log("browser")  # drop this test's console messages


def login(driver: WebDriver) -> None:
    """Send basic credentials with every request (as a browser does after the prompt)."""
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": headers})


def emulate(driver: WebDriver, width: int, height: int = 1000) -> None:
    """Lay the page out ``width`` CSS pixels wide (windows cannot be that narrow)."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def snap(driver: WebDriver, name: str, width: int = WIDTH) -> Path:
    """Save the whole page, ``width`` pixels wide, as ``<name>.png`` in the test's folder."""
    emulate(driver, width)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    emulate(driver, width, min(int(height), 6000))
    path = driver.screenshots / f"{name}.png"  # type: ignore[attr-defined]
    driver.save_screenshot(str(path))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return path


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], object]) -> None:
    WebDriverWait(driver, 10).until(condition)


def text(driver: WebDriver, css: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, css).text


def overflowing(driver: WebDriver) -> list[str]:
    """Elements that stick out of the page to the right (so that it scrolls sideways)."""
    found: list[str] = driver.execute_script(
        """const width = document.documentElement.clientWidth, found = [];
        const clipped = (e) => {
          for (let p = e.parentElement; p; p = p.parentElement) {
            if (getComputedStyle(p).overflowX !== "visible") return true;
          }
          return false;
        };
        for (const e of document.querySelectorAll("body *")) {
          const out = e.getBoundingClientRect().right > width + 0.5;
          if (out && !clipped(e)) found.push(e.outerHTML.slice(0, 80));
        }
        if (document.documentElement.scrollWidth > width) found.push("(the page)");
        return found;"""
    )
    return found


# -- the tests ------------------------------------------------------------------------------------
def test_browse_search_read_and_switch_version(page: WebDriver, run_server) -> None:
    server = run_server("--storage=local", f"--storage-local-rootdir={page.screenshots}/../s")
    seed(server)
    page.get(server.url + "/")
    assert page.title == "Charts · ChartMuseum"
    assert "7 charts" in text(page, "#charts-heading")
    cards = page.find_elements(By.CSS_SELECTOR, ".charts .card h3 a")
    assert [c.text for c in cards][:3] == ["cert-manager", "grafana", "nginx"]
    shot = snap(page, "repository")
    if UPDATE_DOCS:
        shutil.copy(shot, DOCS / "repository.png")

    search = page.find_element(By.ID, "q")
    search.send_keys("database", Keys.ENTER)
    wait_for(page, expected_conditions.url_contains("q=database"))
    found = [c.text for c in page.find_elements(By.CSS_SELECTOR, ".charts .card h3 a")]
    assert found == ["postgresql", "prometheus", "redis", "webapp"]  # descriptions too
    Select(page.find_element(By.ID, "sort")).select_by_value("updated")  # sent by ui.js
    wait_for(page, expected_conditions.url_contains("sort=updated"))
    by_update = [c.text for c in page.find_elements(By.CSS_SELECTOR, ".charts .card h3 a")]
    assert by_update[0] == "webapp" and sorted(by_update) == found  # uploaded last
    snap(page, "search")
    page.find_element(By.LINK_TEXT, "cache").click()  # a keyword searches for it
    wait_for(page, expected_conditions.url_contains("q=cache"))
    cached = [c.text for c in page.find_elements(By.CSS_SELECTOR, ".charts .card h3 a")]
    assert cached == ["webapp", "redis", "nginx"]  # the sort order is kept

    page.get(server.url + "/?q=shop")
    page.find_element(By.LINK_TEXT, "webapp").click()
    wait_for(page, expected_conditions.title_contains("webapp 1.1.0"))
    assert text(page, ".readme h1") == "webapp"
    assert "Number of pods" in text(page, ".readme table")
    values = text(page, "pre.values")
    assert "replicaCount: 2" in values and "ghcr.io/example/webapp" in values
    assert page.find_elements(By.CSS_SELECTOR, "pre.values span.nt")  # highlighted
    assert "templates/ingress.yaml" in text(page, ".files")
    install = text(page, ".install")
    assert f"helm repo add chartmuseum {server.url}" in install
    assert "helm install my-webapp chartmuseum/webapp --version 1.1.0" in install
    assert "helm pull oci://127.0.0.1:" in install
    assert page.find_elements(By.CSS_SELECTOR, ".command button.copy")  # added by ui.js
    assert "signed (.prov)" in text(page, "tr.current")
    assert (
        page.find_element(By.LINK_TEXT, "redis")
        .get_attribute("href")
        .endswith("/.chart/redis?version=~7.4.0")
    )
    shot = snap(page, "chart")
    if UPDATE_DOCS:
        shutil.copy(shot, DOCS / "chart.png")

    Select(page.find_element(By.ID, "version")).select_by_value("0.9.0")
    wait_for(page, expected_conditions.title_contains("webapp 0.9.0"))
    assert "version=0.9.0" in page.current_url
    assert "--version 0.9.0" in text(page, ".install")
    assert "none" in text(page, "tr.current")  # no provenance file for 0.9.0
    snap(page, "chart-0.9.0")
    page.find_element(By.LINK_TEXT, "redis").click()
    wait_for(page, expected_conditions.title_contains("redis 7.4.1"))
    assert page.execute_script("return window.__pwned") is None


def test_readable_at_400_pixels(page: WebDriver, run_server) -> None:
    server = run_server("--storage=local", f"--storage-local-rootdir={page.screenshots}/../s")
    seed(server)
    for url, name in (("/", "narrow-repository"), ("/.chart/webapp", "narrow-chart")):
        page.get(server.url + url)
        emulate(page, 400)
        assert page.execute_script("return window.innerWidth") == 400
        assert overflowing(page) == [], url  # wide tables and code scroll in their own box
        snap(page, name, width=400)
    first = page.find_element(By.TAG_NAME, "body")
    first.send_keys(Keys.TAB)  # keyboard users first meet the skip link
    assert page.switch_to.active_element.text == "Skip to content"


def test_upload_and_delete_under_a_context_path_at_depth_1_with_basic_auth(
    page: WebDriver, run_server, tmp_path: Path
) -> None:
    server = run_server(
        "--storage=local",
        f"--storage-local-rootdir={tmp_path / 's'}",
        "--context-path=/cm",
        "--depth=1",
        f"--basic-auth-user={USER}",
        f"--basic-auth-pass={PASSWORD}",
        "--workers=2",
    )
    assert requests.get(server.url + "/cm/org1/", timeout=30).status_code == 401
    page.get(server.url + "/cm/org1/")  # the browser would ask for credentials
    assert "Upload" not in page.page_source
    login(page)
    page.get(server.url + "/cm/")
    assert text(page, "h1") == "Repositories"
    page.get(server.url + "/cm/org1/")
    assert "0 charts" in text(page, "#charts-heading")
    snap(page, "empty-tenant")

    chart, prov = tmp_path / "webapp-1.1.0.tgz", tmp_path / "webapp-1.1.0.tgz.prov"
    chart.write_bytes(webapp("1.1.0", server.url + "/cm/org1"))
    prov.write_bytes(make_prov("webapp", "1.1.0"))
    page.find_element(By.ID, "chart").send_keys(str(chart))
    page.find_element(By.ID, "prov").send_keys(str(prov))
    page.find_element(By.CSS_SELECTOR, ".manage button[type=submit]").click()
    wait_for(page, expected_conditions.title_contains("webapp 1.1.0"))
    assert page.current_url.endswith("/cm/.chart/org1/webapp?version=1.1.0")
    assert "Uploaded webapp 1.1.0 with its provenance file." in text(page, ".alert.ok")
    assert "signed (.prov)" in text(page, "tr.current")
    assert f"helm repo add org1 {server.url}/cm/org1" in text(page, ".install")
    snap(page, "uploaded")
    stored = requests.get(f"{server.url}/cm/org1/index.yaml", auth=(USER, PASSWORD), timeout=30)
    assert "webapp" in stored.text

    page.get(server.url + "/cm/org1/")
    page.find_element(By.ID, "chart").send_keys(str(chart))
    page.find_element(By.CSS_SELECTOR, ".manage button[type=submit]").click()
    wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, ".alert.error"))
    assert "409" in text(page, ".alert.error") and "chart already exists" in text(page, ".alert")
    snap(page, "upload-conflict")

    page.get(server.url + "/cm/.chart/org1/webapp")
    summary = page.find_element(By.CSS_SELECTOR, "details.delete summary")
    summary.send_keys(Keys.ENTER)  # keyboard only: open the confirmation
    confirm = page.find_element(By.CSS_SELECTOR, "details.delete button.danger")
    assert confirm.is_displayed() and confirm.text == "Delete webapp 1.1.0"
    snap(page, "delete-confirmation")
    confirm.send_keys(Keys.ENTER)
    wait_for(page, expected_conditions.url_to_be(server.url + "/cm/org1/"))
    assert "Deleted webapp 1.1.0." in text(page, ".alert.ok")
    assert "0 charts" in text(page, "#charts-heading")
    snap(page, "deleted")
    gone = requests.get(
        f"{server.url}/cm/api/org1/charts/webapp", auth=(USER, PASSWORD), timeout=30
    )
    assert gone.status_code == 404


def test_depth_dynamic_from_the_root_to_a_nested_tenant(page: WebDriver, run_server) -> None:
    server = run_server(
        "--storage=local", f"--storage-local-rootdir={page.screenshots}/../s", "--depth-dynamic"
    )
    seed(server, "shop/prod")
    assert server.post("/api/charts", data=package("root-chart", "1.0.0", "At the root", [],
                                                   "1.0")).status_code == 201  # fmt: skip
    assert server.post("/api/tools/charts", data=package("kubectl", "1.31.0", "kubectl", [],
                                                         "1.31")).status_code == 201  # fmt: skip
    page.get(server.url + "/")
    assert "root-chart" in text(page, ".charts")
    tenants = [a.text for a in page.find_elements(By.CSS_SELECTOR, ".tenants a")]
    assert tenants == ["shop/prod", "tools"]
    snap(page, "dynamic-root")
    page.find_element(By.LINK_TEXT, "shop/prod").click()
    wait_for(page, expected_conditions.url_to_be(server.url + "/shop/prod/"))
    assert "7 charts" in text(page, "#charts-heading")
    crumbs = [a.text for a in page.find_elements(By.CSS_SELECTOR, ".crumbs a")]
    assert crumbs == ["Home", "shop", "prod"]
    page.find_element(By.LINK_TEXT, "webapp").click()
    wait_for(page, expected_conditions.title_contains("webapp 1.1.0"))
    assert page.current_url.endswith("/.chart/shop/prod/webapp")
    assert "helm repo add shop-prod" in text(page, ".install")
    assert "helm pull oci://127.0.0.1:" in text(page, ".install")
    assert "/shop/prod/webapp --version 1.1.0" in text(page, ".install")
    snap(page, "dynamic-chart")
    page.find_element(By.LINK_TEXT, "postgresql").click()  # a dependency in the same tenant
    wait_for(page, expected_conditions.title_contains("postgresql 17.1.0"))


def test_a_readme_full_of_payloads_executes_nothing(page: WebDriver, run_server) -> None:
    server = run_server("--storage=local", f"--storage-local-rootdir={page.screenshots}/../s")
    body = package("evil", "1.0.0", "<script>window.__pwned='description'</script>",
                   ["<img src=x onerror=window.__pwned=1>"], "1", readme=PAYLOADS)  # fmt: skip
    assert server.post("/api/charts", data=body).status_code == 201
    page.get(server.url + "/")
    page.get(server.url + "/.chart/evil")
    wait_for(page, expected_conditions.title_contains("evil 1.0.0"))
    assert "<script>window.__pwned='description'</script>" in text(page, ".lead")  # as text
    for element_id in ("js-link", "data-link", "form-button", "hover-me"):
        assert not page.find_elements(By.ID, element_id)  # ids are not kept either
    links = page.find_elements(By.CSS_SELECTOR, ".readme a")
    for i in range(len(links)):  # whatever is left to click, click
        link = page.find_elements(By.CSS_SELECTOR, ".readme a")[i]
        href = link.get_attribute("href") or ""
        assert not href.lower().startswith(("javascript:", "data:")), href
        link.click()
        page.get(server.url + "/.chart/evil")
    for paragraph in page.find_elements(By.CSS_SELECTOR, ".readme p, .readme div"):
        webdriver.ActionChains(page).move_to_element(paragraph).perform()
    time.sleep(0.5)  # give anything that was scheduled a chance to run
    assert page.execute_script("return window.__pwned") is None
    with pytest.raises(NoAlertPresentException):
        _ = page.switch_to.alert.text
    background = page.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 0, 0)"
    violations = [m for m in page.get_log("browser") if "Content Security Policy" in m["message"]]
    assert violations == [], violations  # nothing even tried: the sanitiser removed it all
    snap(page, "payloads")
