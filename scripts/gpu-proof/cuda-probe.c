/*
 * A CUDA-using process with no CUDA toolkit: it loads the driver by soname (libcuda.so.1, as
 * every CUDA program does), so it works only where the container's ld.so.cache knows the
 * injected driver library and the device nodes are there. It names each GPU, then makes a
 * context on it and allocates, fills and frees a buffer of GPU memory.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext;
typedef unsigned long long CUdeviceptr;
typedef struct { unsigned char bytes[16]; } CUuuid;

#define LOAD(name, symbol) \
  name = (typeof(name))dlsym(driver, symbol); \
  if (!name) { fprintf(stderr, "cuda-probe: %s is missing from libcuda.so.1\n", symbol); return 2; }

#define CHECK(call) \
  do { CUresult status_ = (call); \
       if (status_ != 0) { fprintf(stderr, "cuda-probe: %s failed with CUresult %d\n", #call, status_); return 3; } } while (0)

int main(void) {
  void *driver = dlopen("libcuda.so.1", RTLD_NOW);
  if (!driver) { fprintf(stderr, "cuda-probe: %s\n", dlerror()); return 1; }
  CUresult (*cuInit)(unsigned int);
  CUresult (*cuDriverGetVersion)(int *);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetUuid)(CUuuid *, CUdevice);
  CUresult (*cuCtxCreate)(CUcontext *, unsigned int, CUdevice);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemsetD8)(CUdeviceptr, unsigned char, size_t);
  CUresult (*cuCtxSynchronize)(void);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuCtxDestroy)(CUcontext);
  LOAD(cuInit, "cuInit");
  LOAD(cuDriverGetVersion, "cuDriverGetVersion");
  LOAD(cuDeviceGetCount, "cuDeviceGetCount");
  LOAD(cuDeviceGet, "cuDeviceGet");
  LOAD(cuDeviceGetName, "cuDeviceGetName");
  LOAD(cuDeviceGetUuid, "cuDeviceGetUuid");
  LOAD(cuCtxCreate, "cuCtxCreate_v2");
  LOAD(cuMemAlloc, "cuMemAlloc_v2");
  LOAD(cuMemsetD8, "cuMemsetD8_v2");
  LOAD(cuCtxSynchronize, "cuCtxSynchronize");
  LOAD(cuMemFree, "cuMemFree_v2");
  LOAD(cuCtxDestroy, "cuCtxDestroy_v2");

  CHECK(cuInit(0));
  int version = 0, count = 0;
  CHECK(cuDriverGetVersion(&version));
  CHECK(cuDeviceGetCount(&count));
  printf("CUDA driver API %d.%d, %d device(s)\n", version / 1000, (version % 1000) / 10, count);
  for (int i = 0; i < count; i++) {
    CUdevice device;
    char name[256];
    CUuuid uuid;
    CHECK(cuDeviceGet(&device, i));
    CHECK(cuDeviceGetName(name, sizeof name, device));
    CHECK(cuDeviceGetUuid(&uuid, device));
    const unsigned char *u = uuid.bytes;
    printf("GPU %d: %s (UUID: GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x)\n", i, name,
           u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    CUcontext context;
    CUdeviceptr buffer;
    const size_t bytes = 64u << 20;
    CHECK(cuCtxCreate(&context, 0, device));
    CHECK(cuMemAlloc(&buffer, bytes));
    CHECK(cuMemsetD8(buffer, 0x5a, bytes));
    CHECK(cuCtxSynchronize());
    CHECK(cuMemFree(buffer));
    CHECK(cuCtxDestroy(context));
    printf("GPU %d: allocated, filled and freed %zu MiB of device memory\n", i, bytes >> 20);
  }
  return 0;
}
