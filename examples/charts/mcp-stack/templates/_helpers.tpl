{{/*
Chart name, truncated to the 63 characters Kubernetes allows in a DNS label.
*/}}
{{- define "mcp-stack.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name. If the release name already contains the chart name
it is used as is.
*/}}
{{- define "mcp-stack.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Name of one server's Deployment and Service.
Usage: include "mcp-stack.componentName" (dict "context" $ "component" "time-server")
*/}}
{{- define "mcp-stack.componentName" -}}
{{- $base := include "mcp-stack.fullname" .context | trunc (int (sub 62 (len .component))) | trimSuffix "-" }}
{{- printf "%s-%s" $base .component }}
{{- end }}

{{/*
chart label value: name-version.
*/}}
{{- define "mcp-stack.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "mcp-stack.labels" -}}
helm.sh/chart: {{ include "mcp-stack.chart" . }}
{{ include "mcp-stack.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "mcp-stack.name" . }}
{{- end }}

{{/*
Selector labels shared by the whole release.
*/}}
{{- define "mcp-stack.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mcp-stack.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of one server. Usage:
include "mcp-stack.componentLabels" (dict "context" $ "component" "time-server")
*/}}
{{- define "mcp-stack.componentLabels" -}}
{{ include "mcp-stack.labels" .context }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Selector labels of one server. Usage:
include "mcp-stack.componentSelectorLabels" (dict "context" $ "component" "time-server")
*/}}
{{- define "mcp-stack.componentSelectorLabels" -}}
{{ include "mcp-stack.selectorLabels" .context }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Image reference: repository@digest when a digest is set (the tag is then
ignored), otherwise repository:tag, with the tag defaulting to appVersion.
Usage: include "mcp-stack.image" (dict "context" $ "image" .Values.timeServer.image)
*/}}
{{- define "mcp-stack.image" -}}
{{- $image := .image }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository (toString (default .context.Chart.AppVersion $image.tag)) }}
{{- end }}
{{- end }}

{{/*
Replica count of one server: its own replicaCount when set, else the
top-level replicaCount. Usage:
include "mcp-stack.replicas" (dict "context" $ "values" .Values.timeServer)
*/}}
{{- define "mcp-stack.replicas" -}}
{{- if kindIs "invalid" .values.replicaCount }}
{{- .context.Values.replicaCount }}
{{- else }}
{{- .values.replicaCount }}
{{- end }}
{{- end }}
