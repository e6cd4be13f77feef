{{/* Names and labels. */}}
{{- define "chartmuseum.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "chartmuseum.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "chartmuseum.servicename" -}}
{{- default (include "chartmuseum.fullname" .) .Values.service.servicename -}}
{{- end -}}

{{- define "chartmuseum.selectorLabels" -}}
app.kubernetes.io/name: {{ include "chartmuseum.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "chartmuseum.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "chartmuseum.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "chartmuseum.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "chartmuseum.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "chartmuseum.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion (toString .Values.image.tag)) -}}
{{- end -}}
{{- end -}}

{{/*
Pull secrets from imagePullSecrets ({name: ...}), image.pullSecrets,
volumePermissions.image.pullSecrets and global.imagePullSecrets (names or {name: ...}),
without repeats; as a YAML list, or nothing.
*/}}
{{- define "chartmuseum.imagePullSecrets" -}}
{{- $global := index (.Values.global | default dict) "imagePullSecrets" | default list -}}
{{- $all := concat (.Values.imagePullSecrets | default list) (.Values.image.pullSecrets | default list) (.Values.volumePermissions.image.pullSecrets | default list) $global -}}
{{- $names := list -}}
{{- range $all -}}
{{- if kindIs "map" . -}}{{- $names = append $names .name -}}{{- else -}}{{- $names = append $names (toString .) -}}{{- end -}}
{{- end -}}
{{- range uniq $names }}
- name: {{ . }}
{{- end -}}
{{- end -}}

{{/* ChartMuseum's Go image, as ChartMuseum's chart names it (or a mirror of it). */}}
{{- define "chartmuseum.isGoImage" -}}
{{- if regexMatch "(^|/)(helm|chartmuseum)/chartmuseum$" (toString .Values.image.repository) -}}true{{- end -}}
{{- end -}}

{{/* A value as an env var string: whole numbers without exponent, booleans as true/false. */}}
{{- define "chartmuseum.envValue" -}}
{{- if kindIs "float64" . -}}
{{- if eq . (floor .) -}}{{- int64 . -}}{{- else -}}{{- . -}}{{- end -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/* True when a value is set: not null, not the empty string. */}}
{{- define "chartmuseum.isSet" -}}
{{- if not (or (kindIs "invalid" .) (eq (toString .) "")) -}}true{{- end -}}
{{- end -}}

{{/* Go's strconv.ParseBool truth for a value from env.open. */}}
{{- define "chartmuseum.truthy" -}}
{{- if has (toString .) (list "true" "1" "t" "T" "TRUE" "True") -}}true{{- end -}}
{{- end -}}

{{/* The storage backend name, lower case. */}}
{{- define "chartmuseum.storage" -}}
{{- lower (toString (default "" .Values.env.open.STORAGE)) -}}
{{- end -}}

{{/* The context path as the server normalises it: "" or "/path". */}}
{{- define "chartmuseum.contextPath" -}}
{{- $ctx := trimAll "/" (toString (default "" .Values.env.open.CONTEXT_PATH)) -}}
{{- if $ctx -}}/{{ $ctx }}{{- end -}}
{{- end -}}

{{/* Whether local storage sits on a PersistentVolumeClaim. */}}
{{- define "chartmuseum.usesClaim" -}}
{{- if and (eq (include "chartmuseum.storage" .) "local") .Values.persistence.enabled -}}true{{- end -}}
{{- end -}}

{{/*
Whether the chart creates the claim: whenever persistence is on without an existing claim,
whatever the storage (as ChartMuseum's chart does), so an upgrade never deletes a claim.
*/}}
{{- define "chartmuseum.createsClaim" -}}
{{- if and .Values.persistence.enabled (not .Values.persistence.existingClaim) -}}true{{- end -}}
{{- end -}}

{{- define "chartmuseum.claimName" -}}
{{- default (include "chartmuseum.fullname" .) .Values.persistence.existingClaim -}}
{{- end -}}

{{/* env.secret entries that are set (none when env.existingSecret is used instead). */}}
{{- define "chartmuseum.secretEnv" -}}
{{- $out := dict -}}
{{- if not .Values.env.existingSecret -}}
{{- range $name, $value := .Values.env.secret -}}
{{- if include "chartmuseum.isSet" $value -}}
{{- $_ := set $out $name (include "chartmuseum.envValue" $value) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* env.existingSecretMappings entries that are set (env var -> key). */}}
{{- define "chartmuseum.mappedEnv" -}}
{{- $out := dict -}}
{{- if .Values.env.existingSecret -}}
{{- range $name, $key := .Values.env.existingSecretMappings -}}
{{- if include "chartmuseum.isSet" $key -}}
{{- $_ := set $out $name (toString $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
Where the Google key file comes from: [Secret name, key], or [] (see gcp.secret in values).
*/}}
{{- define "chartmuseum.gcpSource" -}}
{{- $mapped := include "chartmuseum.mappedEnv" . | fromJson -}}
{{- if and .Values.env.secret.GOOGLE_CREDENTIALS_JSON (not .Values.env.existingSecret) -}}
{{- list (include "chartmuseum.fullname" .) "GOOGLE_CREDENTIALS_JSON" | toJson -}}
{{- else if .Values.gcp.secret.name -}}
{{- list .Values.gcp.secret.name .Values.gcp.secret.key | toJson -}}
{{- else if hasKey $mapped "GOOGLE_CREDENTIALS_JSON" -}}
{{- list .Values.env.existingSecret $mapped.GOOGLE_CREDENTIALS_JSON | toJson -}}
{{- else -}}
[]
{{- end -}}
{{- end -}}

{{/*
The ConfigMap's settings: env.open (set values only) plus what the chart manages (port,
local storage folder, mounted key and certificate paths), which wins over env.open.
*/}}
{{- define "chartmuseum.configEnv" -}}
{{- $out := dict -}}
{{- range $name, $value := .Values.env.open -}}
{{- if include "chartmuseum.isSet" $value -}}
{{- $_ := set $out $name (include "chartmuseum.envValue" $value) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $out "STORAGE" (include "chartmuseum.storage" .) -}}
{{- if .Values.serviceMonitor.enabled -}}
{{- $_ := set $out "ENABLE_METRICS" "true" -}}
{{- end -}}
{{- $_ := set $out "PORT" (include "chartmuseum.envValue" .Values.containerPort) -}}
{{- if eq (include "chartmuseum.storage" .) "local" -}}
{{- $_ := set $out "STORAGE_LOCAL_ROOTDIR" .Values.persistence.path -}}
{{- end -}}
{{- if .Values.tls.enabled -}}
{{- $_ := set $out "TLS_CERT" "/etc/chartmuseum/tls/tls.crt" -}}
{{- $_ := set $out "TLS_KEY" "/etc/chartmuseum/tls/tls.key" -}}
{{- if .Values.tls.clientCA -}}
{{- $_ := set $out "TLS_CA_CERT" "/etc/chartmuseum/tls/ca.crt" -}}
{{- end -}}
{{- end -}}
{{- if include "chartmuseum.on" .Values.bearerAuth.secret.enabled -}}
{{- $_ := set $out "AUTH_CERT_PATH" "/var/keys/public-key.pem" -}}
{{- end -}}
{{- if include "chartmuseum.on" .Values.gcp.secret.enabled -}}
{{- $_ := set $out "GOOGLE_APPLICATION_CREDENTIALS" "/etc/secrets/google/credentials.json" -}}
{{- end -}}
{{- if and (include "chartmuseum.on" .Values.oracle.secret.enabled) (not (hasKey $out "OCI_CONFIG_FILE")) -}}
{{- $_ := set $out "OCI_CONFIG_FILE" "/home/chartmuseum/.oci/config" -}}
{{- end -}}
{{- if include "chartmuseum.on" .Values.etcd.secret.enabled -}}
{{- $_ := set $out "STORAGE_ETCD_CAFILE" "/etc/chartmuseum/etcd/ca.crt" -}}
{{- $_ := set $out "STORAGE_ETCD_CERTFILE" "/etc/chartmuseum/etcd/tls.crt" -}}
{{- $_ := set $out "STORAGE_ETCD_KEYFILE" "/etc/chartmuseum/etcd/tls.key" -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* An enabled-style value: true, or a string such as "enabled"; not false, "false", "0", "". */}}
{{- define "chartmuseum.on" -}}
{{- if and . (not (has (lower (toString .)) (list "false" "0" "no" "off"))) -}}true{{- end -}}
{{- end -}}

{{/* Fail early on combinations the schema cannot express. */}}
{{- define "chartmuseum.validate" -}}
{{- $open := .Values.env.open -}}
{{- if and (include "chartmuseum.isGoImage" .) (not .Values.image.allowGoServer) -}}
{{- fail (printf "image.repository is %s, ChartMuseum's Go server (a values file copied from ChartMuseum's chart names it), but this chart deploys the Python server. Remove image.repository and image.tag from your values to use the image this chart is built for (see `make image` in the README), or set image.allowGoServer=true to deploy the Go server on purpose." .Values.image.repository) -}}
{{- end -}}
{{- if and (include "chartmuseum.truthy" $open.BEARER_AUTH) (not (include "chartmuseum.on" .Values.bearerAuth.secret.enabled)) (not $open.AUTH_CERT_PATH) -}}
{{- fail "env.open.BEARER_AUTH needs the token issuer's public key: set bearerAuth.secret.enabled (and publicKeySecret or publicKey)" -}}
{{- end -}}
{{- if and (include "chartmuseum.truthy" $open.BEARER_AUTH) (or (not $open.AUTH_REALM) (not $open.AUTH_SERVICE)) -}}
{{- fail "env.open.BEARER_AUTH needs env.open.AUTH_REALM and env.open.AUTH_SERVICE" -}}
{{- end -}}
{{- if and (eq (lower (toString (default "" $open.CACHE))) "redis") (not $open.CACHE_REDIS_ADDR) -}}
{{- fail "env.open.CACHE=redis needs env.open.CACHE_REDIS_ADDR (host:port)" -}}
{{- end -}}
{{- if and .Values.tls.enabled (not .Values.tls.secretName) -}}
{{- fail "tls.enabled needs tls.secretName (a kubernetes.io/tls Secret)" -}}
{{- end -}}
{{- if and (include "chartmuseum.on" .Values.gcp.secret.enabled) (not (include "chartmuseum.gcpSource" . | fromJsonArray)) -}}
{{- fail "gcp.secret.enabled needs gcp.secret.name (or the key file in env.secret.GOOGLE_CREDENTIALS_JSON)" -}}
{{- end -}}
{{- if and (include "chartmuseum.on" .Values.oracle.secret.enabled) (not .Values.oracle.secret.name) -}}
{{- fail "oracle.secret.enabled needs oracle.secret.name" -}}
{{- end -}}
{{- if and (include "chartmuseum.on" .Values.etcd.secret.enabled) (not .Values.etcd.secret.name) -}}
{{- fail "etcd.secret.enabled needs etcd.secret.name" -}}
{{- end -}}
{{- if and .Values.persistence.pv.enabled (not .Values.persistence.pv.nfs.server) -}}
{{- fail "persistence.pv.enabled needs persistence.pv.nfs.server and persistence.pv.nfs.path" -}}
{{- end -}}
{{- end -}}

{{/*
The container's arguments: extraArgs, with "--flag value" written as one item split in two.
*/}}
{{- define "chartmuseum.args" -}}
{{- range .Values.extraArgs }}
{{- if regexMatch "^--?[a-z0-9-]+ +[^=]" . }}
- {{ regexReplaceAll "^(--?[a-z0-9-]+) +.*$" . "${1}" | quote }}
- {{ regexReplaceAll "^--?[a-z0-9-]+ +" . "" | quote }}
{{- else }}
- {{ . | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The container's env entries (downward API, Secret references, extraEnv), or nothing. */}}
{{- define "chartmuseum.containerEnv" -}}
{{- range $name, $path := .Values.env.field }}
{{- if include "chartmuseum.isSet" $path }}
- name: {{ $name }}
  valueFrom:
    fieldRef:
      fieldPath: {{ $path }}
{{- end }}
{{- end }}
{{- range $name, $value := include "chartmuseum.secretEnv" . | fromJson }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "chartmuseum.fullname" $ }}
      key: {{ $name }}
{{- end }}
{{- range $name, $key := include "chartmuseum.mappedEnv" . | fromJson }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.env.existingSecret }}
      key: {{ $key }}
{{- end }}
{{- with .Values.deployment.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* An httpGet probe action on <context path>/health, with probes.<kind>HttpGetConfig. */}}
{{- define "chartmuseum.probeGet" -}}
{{- $ := index . 0 -}}
{{- $kind := index . 1 -}}
{{- $get := dict "path" (printf "%s/health" (include "chartmuseum.contextPath" $)) "port" "http" -}}
{{- if $.Values.tls.enabled -}}
{{- $_ := set $get "scheme" "HTTPS" -}}
{{- end -}}
{{- $extra := index $.Values.probes (printf "%sHttpGetConfig" $kind) | default dict -}}
{{- toYaml (merge $get (deepCopy $extra) (dict "scheme" "HTTP")) -}}
{{- end -}}

{{/* A Prometheus duration: "30s" as given, a bare number as seconds. */}}
{{- define "chartmuseum.promDuration" -}}
{{- if or (kindIs "float64" .) (kindIs "int" .) (kindIs "int64" .) -}}
{{- printf "%ds" (int64 .) -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- end -}}

{{/* An Ingress backend for a service {name, port}: a port number, or a port name. */}}
{{- define "chartmuseum.ingressBackend" -}}
{{- $port := toString (include "chartmuseum.envValue" .port) -}}
service:
  name: {{ .name }}
  port:
    {{- if regexMatch "^[0-9]+$" $port }}
    number: {{ $port }}
    {{- else }}
    name: {{ $port }}
    {{- end }}
{{- end -}}
