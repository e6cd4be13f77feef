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

{{- define "chartmuseum.claimName" -}}
{{- default (include "chartmuseum.fullname" .) .Values.persistence.existingClaim -}}
{{- end -}}

{{/* env.secret entries that are set. */}}
{{- define "chartmuseum.secretEnv" -}}
{{- $out := dict -}}
{{- range $name, $value := .Values.env.secret -}}
{{- if include "chartmuseum.isSet" $value -}}
{{- $_ := set $out $name (include "chartmuseum.envValue" $value) -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
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
{{- if .Values.bearerAuth.secret.enabled -}}
{{- $_ := set $out "AUTH_CERT_PATH" "/var/keys/public-key.pem" -}}
{{- end -}}
{{- if .Values.gcp.secret.enabled -}}
{{- $_ := set $out "GOOGLE_APPLICATION_CREDENTIALS" (printf "/etc/secrets/google/%s" .Values.gcp.secret.key) -}}
{{- end -}}
{{- if .Values.oracle.secret.enabled -}}
{{- $_ := set $out "OCI_CONFIG_FILE" (printf "/etc/chartmuseum/oci/%s" .Values.oracle.secret.config) -}}
{{- end -}}
{{- if .Values.etcd.secret.enabled -}}
{{- $_ := set $out "STORAGE_ETCD_CAFILE" "/etc/chartmuseum/etcd/ca.crt" -}}
{{- $_ := set $out "STORAGE_ETCD_CERTFILE" "/etc/chartmuseum/etcd/tls.crt" -}}
{{- $_ := set $out "STORAGE_ETCD_KEYFILE" "/etc/chartmuseum/etcd/tls.key" -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* Fail early on combinations the schema cannot express. */}}
{{- define "chartmuseum.validate" -}}
{{- $open := .Values.env.open -}}
{{- if .Values.extraArgs -}}
{{- fail "extraArgs is not supported: the container runs gunicorn; set each option as env.open.<ENV_VAR> (see the README's configuration reference)" -}}
{{- end -}}
{{- if and (include "chartmuseum.truthy" $open.BEARER_AUTH) (not .Values.bearerAuth.secret.enabled) (not $open.AUTH_CERT_PATH) -}}
{{- fail "env.open.BEARER_AUTH needs the token issuer's public key: set bearerAuth.secret.enabled (and publicKeySecret or publicKey)" -}}
{{- end -}}
{{- if and (include "chartmuseum.truthy" $open.BEARER_AUTH) (or (not $open.AUTH_REALM) (not $open.AUTH_SERVICE)) -}}
{{- fail "env.open.BEARER_AUTH needs env.open.AUTH_REALM and env.open.AUTH_SERVICE" -}}
{{- end -}}
{{- if and (eq (lower (toString (default "" $open.CACHE))) "redis") (not $open.CACHE_REDIS_ADDR) -}}
{{- fail "env.open.CACHE=redis needs env.open.CACHE_REDIS_ADDR (host:port)" -}}
{{- end -}}
{{- if and .Values.serviceMonitor.enabled (not (include "chartmuseum.truthy" $open.ENABLE_METRICS)) -}}
{{- fail "serviceMonitor.enabled needs env.open.ENABLE_METRICS: true" -}}
{{- end -}}
{{- if and .Values.tls.enabled (not .Values.tls.secretName) -}}
{{- fail "tls.enabled needs tls.secretName (a kubernetes.io/tls Secret)" -}}
{{- end -}}
{{- if and .Values.gcp.secret.enabled (not .Values.gcp.secret.name) -}}
{{- fail "gcp.secret.enabled needs gcp.secret.name" -}}
{{- end -}}
{{- if and .Values.oracle.secret.enabled (not .Values.oracle.secret.name) -}}
{{- fail "oracle.secret.enabled needs oracle.secret.name" -}}
{{- end -}}
{{- if and .Values.etcd.secret.enabled (not .Values.etcd.secret.name) -}}
{{- fail "etcd.secret.enabled needs etcd.secret.name" -}}
{{- end -}}
{{- if and .Values.env.existingSecretMappings (not .Values.env.existingSecret) -}}
{{- fail "env.existingSecretMappings needs env.existingSecret (the Secret's name)" -}}
{{- end -}}
{{- end -}}

{{/* The container's env entries (downward API, Secret references, extraEnv), or nothing. */}}
{{- define "chartmuseum.containerEnv" -}}
{{- $secretEnv := include "chartmuseum.secretEnv" . | fromJson -}}
{{- $mapped := .Values.env.existingSecretMappings | default dict -}}
{{- range $name, $path := .Values.env.field }}
- name: {{ $name }}
  valueFrom:
    fieldRef:
      fieldPath: {{ $path }}
{{- end }}
{{- range $name, $value := $secretEnv }}
{{- if not (and $.Values.env.existingSecret (hasKey $mapped $name)) }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "chartmuseum.fullname" $ }}
      key: {{ $name }}
{{- end }}
{{- end }}
{{- if .Values.env.existingSecret }}
{{- range $name, $key := $mapped }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.env.existingSecret }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- with .Values.deployment.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
