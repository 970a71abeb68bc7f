"""An independent Open311 GeoReport v2 client against a running redress server.

Reads services, a service definition and requests through the `georeport` package (0.3.1, in
JSON and in XML); that client cannot create requests, so the request is posted with urllib as
the spec describes (form-encoded, with api_key). Prints one JSON object on stdout for the Rust
test (crates/cli/tests/open311_client.rs) to check.

Usage: python georeport_client.py BASE_URL API_KEY     (BASE_URL like http://127.0.0.1:8080)
"""

import json
import sys
import urllib.error
import urllib.parse
import urllib.request

from georeport import GeoReport


def as_list(x):
    """xmltodict gives a dict for one element and a list for several."""
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def post(url, fields):
    data = urllib.parse.urlencode(fields).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST")
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode("utf-8"))


def main():
    base, key = sys.argv[1].rstrip("/"), sys.argv[2]
    root = base + "/open311/v2"
    client = GeoReport(root, api_key=key)
    client_xml = GeoReport(root, api_key=key, output_format="xml")
    out = {}

    with urllib.request.urlopen(base + "/open311/discovery.json", timeout=30) as resp:
        discovery = json.loads(resp.read().decode("utf-8"))
    out["discovery_url"] = discovery["endpoints"][0]["url"]

    services = client.get_service_list()
    services_xml = as_list(client_xml.get_service_list())
    out["services_count"] = len(services)
    out["services_xml_count"] = len(services_xml)
    lamp = next(s for s in services if s["service_code"] == "01.05")
    lamp_xml = next(s for s in services_xml if s["service_code"] == "01.05")
    out["service_01_05"] = {"name": lamp["service_name"], "group": lamp["group"], "metadata": lamp["metadata"]}
    out["service_01_05_xml"] = {"name": lamp_xml["service_name"], "group": lamp_xml["group"], "metadata": lamp_xml["metadata"]}

    definition = client.get_service_definition("01.05")
    definition_xml = client_xml.get_service_definition("01.05")
    out["attribute_codes"] = [a["code"] for a in definition["attributes"]]
    out["attribute_codes_xml"] = [a["code"] for a in as_list(definition_xml["attributes"]["attribute"])]
    matter = next(a for a in definition["attributes"] if a["code"] == "matter_type")
    out["matter_type_values"] = [v["name"] for v in matter["values"]]

    fields = {
        "service_code": "01.05",
        "description": "河口村村口路灯不亮已经一周。",
        "address_string": "河口镇河口村",
        "first_name": "志强",
        "last_name": "赵",
        "phone": "13700001111",
        "attribute[matter_type]": "suggestion",
    }
    out["post_without_key"] = post(root + "/requests.json", fields)
    status, created = post(root + "/requests.json", dict(fields, api_key=key))
    out["post_status"] = status
    out["created"] = created
    rid = created[0]["service_request_id"]

    out["requests_by_id"] = client.get_service_requests(service_request_id=rid)
    out["requests_by_id_xml"] = as_list(client_xml.get_service_requests(service_request_id=rid))
    out["open_count"] = len(client.get_service_requests(status="open"))
    out["all_count"] = len(client.get_service_requests())
    out["one"] = client.get_service_request(rid)
    out["one_xml"] = client_xml.get_service_request(rid)
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
